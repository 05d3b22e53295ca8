"""The Shopify Admin GraphQL client (the *adapter*): one shop, one app, queries in, `data` out.

It speaks only GraphQL (REST is legacy and misses products with over 100 variants) at the
pinned `API_VERSION`, logs once when Shopify serves another version, waits out the
cost-based rate limit instead of failing, never follows redirects, and never logs or returns
an access token. Failures are StoreErrors with the shared diagnosis codes.
"""

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from stores.errors import (
    INSUFFICIENT_PERMISSIONS,
    INVALID_CREDENTIALS,
    NO_RETRY,
    RETRYABLE_STATUSES,
    UNEXPECTED_RESPONSE,
    RetryPolicy,
    StoreError,
)
from stores.shopify.tokens import ADMIN_TOKEN, AccessTokens, auth_mode_for, send
from stores.transport import checked_session

log = logging.getLogger(__name__)

# The one place the Admin API version is chosen (Shopify supports each for at least 12 months).
API_VERSION = "2026-10"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
VERSION_HEADER = "X-Shopify-API-Version"
TOKEN_HEADER = "X-Shopify-Access-Token"
# GraphQL error codes (errors[].extensions.code) that mean something to Storelink.
THROTTLED = "THROTTLED"
ACCESS_DENIED = "ACCESS_DENIED"
# Waiting for the cost bucket: at least this long, at most this long per wait (Shopify
# refills 100 points a second or more, so a wait is rarely over ten seconds), and this many
# waits in a row before the run gives up and lets the schedule retry.
MIN_THROTTLE_WAIT = 0.05
MAX_THROTTLE_WAIT = 60.0
MAX_THROTTLE_WAITS = 30
# Without a throttleStatus or Retry-After to go by.
DEFAULT_THROTTLE_WAIT = 1.0


class ShopifyClient:
    """Talks to one shop's Admin GraphQL API with an admin token or a Dev Dashboard app's credentials."""

    def __init__(
        self,
        api_url: str,
        access_token: str,
        secret: str,
        *,
        timeout: float = 20.0,
        verify: bool | str = True,
        retry: RetryPolicy = NO_RETRY,
        allow_private: bool = True,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.api_url = api_url
        self.auth_mode = auth_mode_for(access_token)
        self._timeout = timeout
        self._verify = verify
        self._retry = retry
        self._sleep = sleep or retry.sleep
        self._session = checked_session(allow_private=allow_private)
        self._tokens = AccessTokens(api_url, access_token, secret, clock=clock)
        self._version_logged = False
        self.served_version: str | None = None
        self.throttle_status: dict | None = None  # the last extensions.cost.throttleStatus seen

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def __enter__(self) -> "ShopifyClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """Run a query or mutation; answer its `data` or raise StoreError (busy stores per the retry policy)."""
        attempt = 1
        while True:
            try:
                return self._graphql_waiting_out_throttling(query, variables)
            except StoreError as error:
                delay = self._retry.delay(attempt, error)
                if delay is None:
                    raise
                log.warning("%s; attempt %d in %.1f s", error.message, attempt + 1, delay)
                self._retry.sleep(delay)
                attempt += 1

    def _graphql_waiting_out_throttling(self, query: str, variables: dict | None) -> dict:
        renewed = False
        for _ in range(MAX_THROTTLE_WAITS):
            response = self._post(query, variables)
            if response.status_code == 401 and self.auth_mode != ADMIN_TOKEN and not renewed:
                # A granted token can be revoked or expire early: ask for a new one, once.
                self._tokens.forget()
                renewed = True
                continue
            body = self._body(response)
            wait = self._throttle_wait(response, body)
            if wait is None:
                return self._data(response, body)
            log.info("Shopify throttled the request (cost bucket); waiting %.2f s", wait)
            self._sleep(wait)
        raise StoreError(
            UNEXPECTED_RESPONSE,
            f"Shopify kept throttling the request after {MAX_THROTTLE_WAITS} waits",
            status=429,
            retryable=True,
        )

    def _post(self, query: str, variables: dict | None) -> requests.Response:
        token = self._tokens.current(self._session, self._request_options())
        response = send(
            self._session,
            "POST",
            f"{self.api_url}{GRAPHQL_PATH}",
            json={"query": query, "variables": variables or {}},
            headers={TOKEN_HEADER: token},
            **self._request_options(),
        )
        self._check_version(response)
        return response

    def _request_options(self) -> dict:
        return {"timeout": self._timeout, "verify": self._verify}

    def _check_version(self, response: requests.Response) -> None:
        served = response.headers.get(VERSION_HEADER)
        if served:
            self.served_version = served
        if served and served != API_VERSION and not self._version_logged:
            self._version_logged = True
            log.warning(
                "Shopify %s served Admin API version %s, not the pinned %s: the pinned version is no longer supported",
                urlsplit(self.api_url).netloc, served, API_VERSION,
            )

    def _body(self, response: requests.Response) -> object:
        try:
            return response.json()
        except ValueError:
            return None

    def _throttle_wait(self, response: requests.Response, body: object) -> float | None:
        """Seconds to wait before asking again, when Shopify throttled the request; else None."""
        cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
        if isinstance(cost, dict) and isinstance(cost.get("throttleStatus"), dict):
            self.throttle_status = cost["throttleStatus"]
        throttled = response.status_code == 429 or THROTTLED in _error_codes(body)
        if not throttled:
            return None
        return throttle_wait(cost, response.headers.get("Retry-After"))

    def _data(self, response: requests.Response, body: object) -> dict:
        status = response.status_code
        if 300 <= status < 400:
            raise StoreError(UNEXPECTED_RESPONSE, f"the shop redirects (HTTP {status}); no shop answers at {self.api_url}", status=status)
        if status == 401:
            raise StoreError(INVALID_CREDENTIALS, f"Shopify refused the access token: {_message(body, status)}", status=401)
        if status == 403:
            raise StoreError(INSUFFICIENT_PERMISSIONS, f"Shopify refused the request: {_message(body, status)}", status=403)
        if not 200 <= status < 300:
            raise StoreError(
                UNEXPECTED_RESPONSE,
                f"Shopify answered {status}: {_message(body, status)}",
                status=status,
                retryable=status in RETRYABLE_STATUSES,
            )
        if not isinstance(body, dict):
            raise StoreError(UNEXPECTED_RESPONSE, f"the shop answered {status} but not with JSON", status=status, store_code="not_json")
        codes = _error_codes(body)
        if ACCESS_DENIED in codes:
            raise StoreError(INSUFFICIENT_PERMISSIONS, _message(body, status), status=status, store_code=ACCESS_DENIED)
        if body.get("errors"):
            raise StoreError(
                UNEXPECTED_RESPONSE,
                f"Shopify refused the query: {_message(body, status)}",
                status=status,
                store_code=codes[0] if codes else None,
                retryable="INTERNAL_SERVER_ERROR" in codes,
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise StoreError(UNEXPECTED_RESPONSE, "Shopify answered without data", status=status)
        return data


def throttle_wait(cost: object, retry_after: str | None) -> float:
    """How long to wait for the bucket to hold the query's cost again: from the deficit and the restore rate."""
    wait = None
    if isinstance(cost, dict):
        status = cost.get("throttleStatus") if isinstance(cost.get("throttleStatus"), dict) else {}
        try:
            requested = float(cost.get("requestedQueryCost"))
            available = float(status.get("currentlyAvailable"))
            rate = float(status.get("restoreRate"))
            if rate > 0:
                wait = (requested - available) / rate
        except (TypeError, ValueError):
            wait = None
    if wait is None and retry_after:
        try:
            wait = float(retry_after)
        except ValueError:
            wait = None
    if wait is None:
        wait = DEFAULT_THROTTLE_WAIT
    return min(MAX_THROTTLE_WAIT, max(MIN_THROTTLE_WAIT, wait))


def _error_codes(body: object) -> list[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if isinstance(code, str):
            codes.append(code)
    return codes


def _message(body: object, status: int) -> str:
    """Shopify's own words for an error (a string, or the messages of `errors[]`), short."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return errors[:300]
    if isinstance(errors, list):
        messages = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
        if messages:
            return "; ".join(messages)[:300]
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {value}" for key, value in errors.items())[:300]
    return f"HTTP {status}"
