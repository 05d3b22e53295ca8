"""Shopify access tokens: a `shpat_` Admin API token as is, or one granted to a Dev Dashboard app.

A Dev Dashboard app has no token to paste: its Client ID (in the Access token field) and
Client secret trade for a token lasting about 24 hours through the client credentials grant
(`POST /admin/oauth/access_token`). Granted tokens are kept in the process per shop and app
(and secret: a wrong secret never borrows a token a right one obtained), renewed before they
expire, and never logged or returned.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from stores.errors import (
    INVALID_CREDENTIALS,
    RETRYABLE_STATUSES,
    TLS_ERROR,
    UNEXPECTED_RESPONSE,
    UNREACHABLE,
    StoreError,
)
from stores.urls import StoreUrlError

log = logging.getLogger(__name__)

ADMIN_TOKEN_PREFIX = "shpat_"
# Auth modes, as a connection records them.
ADMIN_TOKEN = "admin_token"  # an admin-created (legacy) custom app's permanent Admin API access token
CLIENT_CREDENTIALS = "client_credentials"  # a Dev Dashboard app's Client ID and Client secret
TOKEN_PATH = "/admin/oauth/access_token"
# Renew a granted token this long before it expires (at most half its lifetime).
RENEW_MARGIN_SECONDS = 3600.0
# A grant that names no lifetime is taken to last this long (Shopify's is 86399 s).
DEFAULT_LIFETIME_SECONDS = 86399.0


def auth_mode_for(access_token: str) -> str:
    """Which kind of app the Access token field belongs to."""
    return ADMIN_TOKEN if access_token.startswith(ADMIN_TOKEN_PREFIX) else CLIENT_CREDENTIALS


@dataclass(frozen=True)
class _Granted:
    value: str
    renew_at: float  # on the clock of the client that obtained it


_GRANTED: dict[tuple[str, str, str], _Granted] = {}
_LOCK = threading.Lock()


def forget_granted_tokens() -> None:
    """Drop every granted token this process keeps (tests; a worker's fresh start)."""
    with _LOCK:
        _GRANTED.clear()


class AccessTokens:
    """The token to send for one shop and app: fixed, or granted and renewed."""

    def __init__(self, api_url: str, access_token: str, secret: str, *, clock: Callable[[], float] = time.monotonic):
        self.api_url = api_url
        self.mode = auth_mode_for(access_token)
        self._access_token = access_token
        self._secret = secret
        self._clock = clock
        digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        self._key = (api_url, access_token, digest)

    def current(self, session: requests.Session, options: dict) -> str:
        """The token to send now (granting or renewing one when needed)."""
        if self.mode == ADMIN_TOKEN:
            return self._access_token
        with _LOCK:
            granted = _GRANTED.get(self._key)
        if granted is not None and self._clock() < granted.renew_at:
            return granted.value
        granted = self._grant(session, options)
        with _LOCK:
            _GRANTED[self._key] = granted
        return granted.value

    def forget(self) -> None:
        """Drop the granted token (Shopify refused it): the next request asks for a new one."""
        with _LOCK:
            _GRANTED.pop(self._key, None)

    def _grant(self, session: requests.Session, options: dict) -> _Granted:
        started = self._clock()
        response = send(
            session,
            "POST",
            f"{self.api_url}{TOKEN_PATH}",
            data={"grant_type": "client_credentials", "client_id": self._access_token, "client_secret": self._secret},
            **options,
        )
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            raise StoreError(UNEXPECTED_RESPONSE, f"Shopify's token grant answered {status}", status=status, retryable=True)
        if 300 <= status < 400:
            raise StoreError(UNEXPECTED_RESPONSE, f"the shop redirects (HTTP {status}); no shop answers at {self.api_url}", status=status)
        if status == 404:
            raise StoreError(UNEXPECTED_RESPONSE, f"no Shopify token endpoint at {self.api_url} (404)", status=404)
        if status != 200:
            # Shopify documents no error text here: any refusal means the Client ID and secret
            # are not an app installed on this shop.
            raise StoreError(
                INVALID_CREDENTIALS,
                f"Shopify refused the Client ID and Client secret (HTTP {status}): the app is not installed "
                "on this shop, or the values are not this app's",
                status=status,
            )
        try:
            body = response.json()
            value = body["access_token"]
            lifetime = float(body.get("expires_in") or DEFAULT_LIFETIME_SECONDS)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(UNEXPECTED_RESPONSE, "Shopify's token grant answered without an access token", status=status) from None
        if not isinstance(value, str) or not value:
            raise StoreError(UNEXPECTED_RESPONSE, "Shopify's token grant answered without an access token", status=status)
        log.info("Shopify %s granted an access token for %.0f s", urlsplit(self.api_url).netloc, lifetime)
        return _Granted(value, started + lifetime - min(RENEW_MARGIN_SECONDS, lifetime / 2))


def send(session: requests.Session, method: str, url: str, *, timeout: float, verify: bool | str, **kwargs) -> requests.Response:
    """One request, never following redirects; transport failures become StoreErrors (no URL query, no token)."""
    host = urlsplit(url).netloc
    started = time.monotonic()
    try:
        response = session.request(method, url, timeout=timeout, verify=verify, allow_redirects=False, **kwargs)
    except StoreUrlError as error:  # checked on every new connection: DNS can change its answer
        raise StoreError(UNREACHABLE, f"the store URL {error}") from None
    except requests.exceptions.SSLError as exc:
        raise StoreError(TLS_ERROR, f"the TLS connection to {host} failed: {_reason(exc)}") from None
    except requests.exceptions.Timeout:
        raise StoreError(UNREACHABLE, f"{host} did not answer within {timeout:g} s", retryable=True) from None
    except requests.exceptions.RequestException as exc:
        raise StoreError(UNREACHABLE, f"cannot connect to {host}: {_reason(exc)}", retryable=True) from None
    log.info("store %s %s%s -> %s in %.0f ms", method, host, urlsplit(url).path, response.status_code,
             (time.monotonic() - started) * 1000)
    return response


def _reason(exc: Exception) -> str:
    """A short reason from a requests exception, without the object reprs urllib3 puts first."""
    cause = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause
    return str(cause).split(">: ", 1)[-1][:300]
