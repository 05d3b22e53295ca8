"""REST API keys and WooCommerce's authentication: Basic/query keys over https, OAuth 1.0a otherwise."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import RestError
from .phpcompat import PhpArray, rawurldecode, rawurlencode, urldecode

PERMISSIONS = ("read", "write", "read_write")
# WooCommerce accepts OAuth timestamps this many seconds either side of its clock.
OAUTH_WINDOW_SECONDS = 15 * 60
OAUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
OAUTH_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
# Key authentication only runs for request URIs containing one of these.
WC_URI_MARKERS = ("wp-json/wc/", "wp-json/wc-")


def _auth_error(message: str) -> RestError:
    """The error code WooCommerce uses for every failed key check."""
    return RestError("woocommerce_rest_authentication_error", message, 401)


@dataclass
class ApiKey:
    """One WooCommerce REST API key and the nonces it has used."""

    consumer_key: str
    consumer_secret: str
    permissions: str
    nonces: dict[Any, str] = field(default_factory=dict)
    requests: int = 0


class KeyRing:
    """The store's API keys, looked up by consumer key."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write") -> ApiKey:
        """Register a key; permissions is "read", "write" or "read_write"."""
        if permissions not in PERMISSIONS:
            raise ValueError(f"permissions must be one of {PERMISSIONS}, not {permissions!r}")
        key = ApiKey(consumer_key, consumer_secret, permissions)
        with self._lock:
            self._keys[consumer_key] = key
        return key

    def new(self, permissions: str = "read_write") -> ApiKey:
        """Generate a key shaped like WooCommerce's: ck_/cs_ and 40 hex digits."""
        return self.add("ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20), permissions)

    def revoke(self, consumer_key: str) -> None:
        """Delete a key, as a store admin revoking it would."""
        with self._lock:
            self._keys.pop(consumer_key, None)

    def find(self, consumer_key: Any) -> ApiKey | None:
        """The key with this consumer key, if any."""
        if not isinstance(consumer_key, str):
            return None
        return self._keys.get(consumer_key.strip())

    def remember_nonce(self, key: ApiKey, timestamp: str, nonce: str, now: float) -> bool:
        """Record the nonce; False if this key already used it (as WooCommerce stores them)."""
        with self._lock:
            if nonce in key.nonces.values():
                return False
            # WooCommerce keys used nonces by timestamp, so a second nonce in the same second replaces the first.
            stamp: Any = int(timestamp) if re.fullmatch(r"-?[0-9]+", timestamp) else timestamp
            key.nonces[stamp] = nonce
            for used in list(key.nonces):
                if _as_number(used) is not None and _as_number(used) < now - OAUTH_WINDOW_SECONDS:
                    del key.nonces[used]
            return True


@dataclass(frozen=True)
class AuthRequest:
    """What PHP sees of an incoming request, after the host has had its say."""

    method: str
    request_uri: str
    raw_path: str
    get: PhpArray
    post: PhpArray
    authorization: str | None
    is_ssl: bool
    home_url: str


@dataclass
class AuthOutcome:
    """Who the request authenticated as, or the error that authentication left behind."""

    key: ApiKey | None = None
    error: RestError | None = None
    method: str = ""


def is_request_to_wc_api(request_uri: str) -> bool:
    """WooCommerce only authenticates URIs under wp-json/wc/ (so never ?rest_route=)."""
    return any(marker in request_uri for marker in WC_URI_MARKERS)


def authenticate(request: AuthRequest, keys: KeyRing, now: float) -> AuthOutcome:
    """Run WooCommerce's key authentication: Basic/query keys when is_ssl, then OAuth 1.0a."""
    outcome = AuthOutcome()
    if not is_request_to_wc_api(request.request_uri):
        return outcome
    if request.is_ssl:
        _basic(request, keys, outcome)
        if outcome.key is not None:
            return outcome
    _oauth(request, keys, outcome, now)
    return outcome


def _php_empty(value: Any) -> bool:
    """PHP empty(): missing, "", "0", and empty arrays are empty."""
    return value is None or value == "" or value == "0" or value == {} or value == []


def _basic(request: AuthRequest, keys: KeyRing, outcome: AuthOutcome) -> None:
    """Consumer key and secret from the query string, else from HTTP Basic."""
    outcome.method = "basic_auth"
    consumer_key: Any = ""
    consumer_secret: Any = ""
    if not _php_empty(request.get.get("consumer_key")) and not _php_empty(request.get.get("consumer_secret")):
        consumer_key = request.get["consumer_key"]
        consumer_secret = request.get["consumer_secret"]
    if not consumer_key:
        user, password = _basic_credentials(request.authorization)
        if user and password:
            consumer_key, consumer_secret = user, password
    if not consumer_key or not consumer_secret:
        return
    key = keys.find(consumer_key)
    # An unknown key is not an error here: WooCommerce falls through to OAuth, then to anonymous.
    if key is None:
        return
    if not isinstance(consumer_secret, str) or not hmac.compare_digest(
        key.consumer_secret.encode(), consumer_secret.encode()
    ):
        outcome.error = _auth_error("Consumer secret is invalid.")
        return
    outcome.key = key


def _basic_credentials(header: str | None) -> tuple[str, str]:
    """PHP_AUTH_USER and PHP_AUTH_PW as PHP derives them from the Authorization header."""
    if not header or header[:6].lower() != "basic ":
        return "", ""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return "", ""
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else ("", "")


_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')


def _oauth_header_params(header: str | None) -> dict[str, str]:
    """oauth_* parameters from an "Authorization: OAuth ..." header."""
    header = (header or "").strip()
    if not header.startswith("OAuth "):
        return {}
    return {
        match.group(1): urldecode(match.group(3) if match.group(3) else (match.group(4) or ""))
        for match in _HEADER_PARAM.finditer(header)
    }


def _oauth_params(request: AuthRequest, outcome: AuthOutcome) -> dict[str, Any]:
    """All request parameters when an OAuth attempt is complete; {} when absent or broken."""
    params: dict[str, Any] = {**request.get, **request.post}
    params.update(_oauth_header_params(request.authorization))
    missing = [name for name in OAUTH_PARAMS if _php_empty(params.get(name))]
    if len(missing) == len(OAUTH_PARAMS):
        return {}
    if missing:
        noun = "parameter" if len(missing) == 1 else "parameters"
        outcome.error = RestError(
            "woocommerce_rest_authentication_missing_parameter",
            f"Missing OAuth {noun} {', '.join(missing)}",
            401,
        )
        outcome.key = None
        return {}
    return params


def _oauth(request: AuthRequest, keys: KeyRing, outcome: AuthOutcome, now: float) -> None:
    """One-legged OAuth 1.0a as WooCommerce checks it."""
    outcome.method = "oauth1"
    params = _oauth_params(request, outcome)
    if not params:
        return
    key = keys.find(params["oauth_consumer_key"])
    if key is None:
        outcome.error = _auth_error("Consumer key is invalid.")
        return
    error = _check_signature(request, key, params)
    if error is None:
        error = _check_timestamp_and_nonce(keys, key, params["oauth_timestamp"], params["oauth_nonce"], now)
    if error is not None:
        outcome.error = error
        return
    outcome.key = key


def signature_base_uri(home_url: str, raw_path: str, is_ssl: bool) -> str:
    """The URL WooCommerce signs: the home URL's host with the request path, scheme from is_ssl()."""
    scheme, _, rest = home_url.partition("://")
    host, slash, home_path = rest.partition("/")
    home_path = "/" + home_path if slash else "/"
    if not home_path.endswith("/"):
        home_path += "/"
    path = raw_path[len(home_path):] if raw_path.startswith(home_path) else raw_path
    return f"{'https' if is_ssl else 'http'}://{host}{home_path}{path.lstrip('/')}"


def signature_base_string(method: str, base_uri: str, params: dict[str, Any]) -> str:
    """OAuth base string as WooCommerce builds it (sorted by raw key, nested arrays as key%5Bn%5D)."""
    items = sorted(
        ((key, value) for key, value in params.items() if key != "oauth_signature"),
        key=lambda item: str(item[0]).encode("utf-8"),
    )
    normalized = [(rawurlencode(str(key)), _encode_values(value)) for key, value in items]
    pairs: list[str] = []
    _join_with_equals(normalized, "", pairs)
    return f"{method.upper()}&{rawurlencode(base_uri)}&{'%26'.join(pairs)}"


def _encode_values(value: Any) -> Any:
    """rawurlencode every scalar of a (possibly nested) parameter value."""
    if isinstance(value, dict):
        return {key: _encode_values(item) for key, item in value.items()}
    return rawurlencode(str(value))


def _join_with_equals(items, prefix: str, pairs: list[str]) -> None:
    """Append rawurlencode("key=value") for every leaf, nested keys written key%5Bsub%5D."""
    for key, value in items:
        name = f"{prefix}%5B{key}%5D" if prefix else str(key)
        if isinstance(value, dict):
            _join_with_equals(value.items(), name, pairs)
        else:
            pairs.append(rawurlencode(f"{name}={value}"))


def sign(base_string: str, consumer_secret: str, method: str = "HMAC-SHA256") -> str:
    """The base64 HMAC signature for a base string with key consumer_secret + "&"."""
    digest = hmac.new((consumer_secret + "&").encode(), base_string.encode(), OAUTH_METHODS[method]).digest()
    return base64.b64encode(digest).decode("ascii")


def _check_signature(request: AuthRequest, key: ApiKey, params: dict[str, Any]) -> RestError | None:
    """Recompute the signature over the request and compare."""
    base_uri = signature_base_uri(request.home_url, request.raw_path, request.is_ssl)
    provided = params["oauth_signature"]
    provided = rawurldecode(provided.replace(" ", "+")) if isinstance(provided, str) else ""
    method = params["oauth_signature_method"]
    if method not in OAUTH_METHODS:
        return _auth_error("Invalid signature - signature method is invalid.")
    expected = sign(signature_base_string(request.method, base_uri, params), key.consumer_secret, method)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        return _auth_error("Invalid signature - provided signature does not match.")
    return None


def _as_number(value: Any) -> float | None:
    """A PHP numeric string or int as a number, else None."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*", value):
        return float(value)
    return None


def _check_timestamp_and_nonce(keys: KeyRing, key: ApiKey, timestamp: Any, nonce: Any, now: float) -> RestError | None:
    """The timestamp within 15 minutes of the store's clock and the nonce never used before."""
    stamp = _as_number(timestamp)
    if stamp is None or stamp < now - OAUTH_WINDOW_SECONDS or stamp > now + OAUTH_WINDOW_SECONDS:
        return _auth_error("Invalid timestamp.")
    if not keys.remember_nonce(key, str(timestamp), str(nonce), now):
        return _auth_error("Invalid nonce - nonce has already been used.")
    return None


def check_key_permissions(key: ApiKey, method: str) -> RestError | None:
    """The key's read/write permission for this HTTP method (WooCommerce's rest_pre_dispatch check)."""
    if method in ("HEAD", "GET"):
        if key.permissions not in ("read", "read_write"):
            return _auth_error("The API key provided does not have read permissions.")
    elif method in ("POST", "PUT", "PATCH", "DELETE"):
        if key.permissions not in ("write", "read_write"):
            return _auth_error("The API key provided does not have write permissions.")
    elif method != "OPTIONS":
        return _auth_error("Unknown request method.")
    return None
