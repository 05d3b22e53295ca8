"""The admin token: compared in constant time, with wrong guesses limited per client address."""

import hmac
from collections.abc import Callable

from flask import Blueprint, request

from api.errors import error_response
from api.resources import get_failed_attempts, get_settings
from config import Settings


class TooManyAttempts(Exception):
    """The client address sent too many wrong admin tokens; it may try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many wrong admin tokens from this address; try again in {retry_after} seconds")
        self.retry_after = retry_after


def token_matches(given: str, expected: str) -> bool:
    """Whether `given` is `expected`, compared in constant time; an unset token matches nothing."""
    return bool(expected) and hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def authenticate(given: str | None, *, also: str = "") -> bool:
    """Whether `given` is the admin token (or `also`, when set); a wrong one counts against the request's client address.

    None (no token sent at all) is refused without counting. While the address has sent too
    many wrong tokens, every attempt raises TooManyAttempts before the token is even compared:
    a right guess must not be told apart from a wrong one then.
    """
    attempts = get_failed_attempts()
    address = request.remote_addr or "unknown"
    retry_after = attempts.retry_after(address)
    if retry_after is not None:
        raise TooManyAttempts(retry_after)
    if given is None:
        return False
    # Both compared, whichever matches: the time taken does not tell which one was close.
    if any([token_matches(given, get_settings().admin_token), token_matches(given, also)]):
        return True
    attempts.record(address)
    return False


def _bearer_token() -> str | None:
    """The request's bearer token; "" for another kind of Authorization (a wrong token), None without one."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" else ""


def require_admin_token(blueprint: Blueprint, *, also: Callable[[Settings], str] | None = None) -> None:
    """Refuse every request to `blueprint` that lacks `Authorization: Bearer $ADMIN_TOKEN` (or the token `also` names)."""

    @blueprint.before_request
    def _check_token():
        try:
            if authenticate(_bearer_token(), also=also(get_settings()) if also else ""):
                return None
        except TooManyAttempts as error:
            return error_response(429, "too_many_requests", str(error), {"Retry-After": str(error.retry_after)})
        return error_response(
            401, "unauthorized", f"send Authorization: Bearer <{'ADMIN_TOKEN or METRICS_TOKEN' if also else 'ADMIN_TOKEN'}>",
            {"WWW-Authenticate": "Bearer"},
        )
