"""Bearer-token authentication for the admin API, compared in constant time."""

import hmac

from flask import Blueprint, request

from api.errors import error_response
from web.resources import get_settings


def token_matches(given: str) -> bool:
    """Whether `given` is the admin token; an unset token matches nothing."""
    expected = get_settings().admin_token
    return bool(expected) and hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def require_admin_token(blueprint: Blueprint) -> None:
    """Refuse every request to `blueprint` that lacks `Authorization: Bearer $ADMIN_TOKEN`."""

    @blueprint.before_request
    def _check_token():
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if not (scheme.lower() == "bearer" and token_matches(given)):
            return error_response(
                401, "unauthorized", "send Authorization: Bearer <ADMIN_TOKEN>", {"WWW-Authenticate": "Bearer"}
            )
        return None
