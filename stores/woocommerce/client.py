"""The WooCommerce REST API client (the *adapter*): one store, one auth mode, JSON in and out.

It never follows redirects (a store that redirects is reported, not trusted), never logs
credentials, query strings or the `Link` header (which repeats the caller's OAuth
parameters), and turns every failure into a StoreError with a diagnosis code.
"""

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests

from stores.errors import NO_RETRY, RetryPolicy
from stores.transport import checked_session
from stores.urls import StoreUrlError
from stores.woocommerce import errors
from stores.woocommerce.auth import make_auth
from stores.woocommerce.errors import StoreError

log = logging.getLogger(__name__)

API_PREFIX = "/wp-json/wc/v3"
# WooCommerce refuses per_page above this (400 rest_invalid_param).
MAX_PER_PAGE = 100
_QUERY = re.compile(r"\?[^\s)'\"]*")
# urllib3 2 prefixes a connection failure with the connection's repr (ours: CheckedHTTPConnection)
# and its own words: the message names the host already, and the cause is what follows.
_CONNECTION_REPR = re.compile(r"^\w*HTTPS?Connection\([^)]*\): (Failed to establish a new connection: )?(\[Errno -?\d+\] )?")


@dataclass(frozen=True)
class StoreResponse:
    """A decoded answer from the store."""

    status: int
    body: object
    total: int | None = None
    total_pages: int | None = None


def normalize_api_url(api_url: str) -> str:
    """The store's root URL: no trailing slash, no `/wp-json...` suffix pasted from a browser."""
    parts = urlsplit(api_url.strip())
    path = parts.path
    marker = path.find("/wp-json")
    if marker != -1:
        path = path[:marker]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path.rstrip("/"), "", ""))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_body(response: requests.Response) -> tuple[str | None, str | None]:
    """The `code` and `message` of a WordPress error body, when it is one."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if isinstance(body, dict):
        code, message = body.get("code"), body.get("message")
        return (code if isinstance(code, str) else None, message if isinstance(message, str) else None)
    return None, None


def _int_header(response: requests.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


class WooCommerceClient:
    """Talks to one store's `wp-json/wc/v3` API with one auth mode."""

    def __init__(
        self,
        api_url: str,
        consumer_key: str,
        consumer_secret: str,
        auth_mode: str,
        *,
        home_url: str | None = None,
        timeout: float = 20.0,
        verify: bool | str = True,
        retry: RetryPolicy = NO_RETRY,
        allow_private: bool = True,
        session: requests.Session | None = None,
    ):
        self.api_url = normalize_api_url(api_url)
        self.auth_mode = auth_mode
        self._auth = make_auth(auth_mode, consumer_key, consumer_secret, home_url)
        self._timeout = timeout
        self._verify = verify
        self._retry = retry
        self._session = checked_session(allow_private=allow_private, session=session)

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def __enter__(self) -> "WooCommerceClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, object] | None = None) -> StoreResponse:
        """GET an API path such as `orders` or `system_status`."""
        return self.request("GET", path, params=params)

    def post(self, path: str, json: object) -> StoreResponse:
        """POST JSON to an API path."""
        return self.request("POST", path, json=json)

    def put(self, path: str, json: object) -> StoreResponse:
        """PUT JSON to an API path."""
        return self.request("PUT", path, json=json)

    def delete(self, path: str, params: Mapping[str, object] | None = None) -> StoreResponse:
        """DELETE an API path."""
        return self.request("DELETE", path, params=params)

    def request(
        self, method: str, path: str, *, params: Mapping[str, object] | None = None, json: object = None
    ) -> StoreResponse:
        """Send a request (again, per the retry policy, while the store is busy); answer 2xx or raise StoreError."""
        attempt = 1
        while True:
            try:
                return self._request_once(method, path, params=params, json=json)
            except StoreError as error:
                delay = self._retry.delay(attempt, error)
                if delay is None:
                    raise
                # The error names the cause: "cannot connect to ...", "... did not answer", "the store answered 503".
                log.warning("%s; attempt %d in %.1f s", error.message, attempt + 1, delay)
                self._retry.sleep(delay)
                attempt += 1

    def _request_once(
        self, method: str, path: str, *, params: Mapping[str, object] | None, json: object
    ) -> StoreResponse:
        response = self.send(method, f"{API_PREFIX}/{path.lstrip('/')}", params=params, json=json, authenticated=True)
        if not 200 <= response.status_code < 300:
            raise self.error_for(response)
        try:
            body = response.json()
        except ValueError:
            raise StoreError(
                errors.UNEXPECTED_RESPONSE,
                f"{method} {path}: the store answered {response.status_code} but not with JSON",
                status=response.status_code,
            ) from None
        return StoreResponse(
            status=response.status_code,
            body=body,
            total=_int_header(response, "X-WP-Total"),
            total_pages=_int_header(response, "X-WP-TotalPages"),
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        authenticated: bool = True,
    ) -> requests.Response:
        """Send a request to a path under the store root; transport failures become StoreError."""
        url = f"{self.api_url}{path}"
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=json,
                auth=self._auth if authenticated else None,
                timeout=self._timeout,
                verify=self._verify,
                allow_redirects=False,
            )
        except StoreUrlError as error:  # checked on every new connection: DNS can change its answer
            raise StoreError(errors.UNREACHABLE, f"the store URL {error}") from None
        except requests.exceptions.SSLError as exc:
            raise StoreError(
                errors.TLS_ERROR,
                f"the TLS connection to {urlsplit(url).netloc} failed: {_reason(exc)}",
            ) from None
        except requests.exceptions.Timeout:
            raise StoreError(
                errors.UNREACHABLE,
                f"{urlsplit(url).netloc} did not answer within {self._timeout:g} s",
                retryable=True,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise StoreError(
                errors.UNREACHABLE, f"cannot connect to {urlsplit(url).netloc}: {_reason(exc)}", retryable=True
            ) from None
        # Path only: the query string may carry keys or OAuth signatures.
        log.info(
            "store %s %s%s -> %s in %.0f ms",
            method,
            urlsplit(self.api_url).netloc,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def error_for(self, response: requests.Response) -> StoreError:
        """The StoreError that a non-2xx answer means."""
        status = response.status_code
        store_code, store_message = _error_body(response)
        detail = f"{store_message} ({store_code})" if store_message and store_code else f"HTTP {status}"
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            target = urlsplit(location)
            where = f"{target.scheme}://{target.netloc}{target.path}" if target.netloc else "another address"
            return StoreError(
                errors.UNEXPECTED_RESPONSE,
                f"the store redirects to {where}; use that address as the API URL",
                status=status,
            )
        if status in (401, 403):
            return StoreError(
                errors.INVALID_CREDENTIALS if status == 401 else errors.INSUFFICIENT_PERMISSIONS,
                f"the store refused the request: {detail}",
                status=status,
                store_code=store_code,
            )
        return StoreError(
            errors.UNEXPECTED_RESPONSE,
            f"the store answered {status}: {detail}",
            status=status,
            store_code=store_code,
            retryable=status in errors.RETRYABLE_STATUSES,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )


def _reason(exc: Exception) -> str:
    """A short, credential-free reason from a requests exception (its text may quote the URL)."""
    cause = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause
    text = str(cause)
    # urllib3 prefixes the pool object's repr; keep what follows it.
    text = _CONNECTION_REPR.sub("", text.split(">: ", 1)[-1])
    return _QUERY.sub("", text)[:300]
