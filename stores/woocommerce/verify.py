"""Verify a store connection and say precisely why one does not work.

Three steps, each answering one question:
1. discovery: is there a WordPress REST API with WooCommerce at this URL? (the public index,
   or else the REST root WordPress names in a `Link` header on every page)
2. authentication: which auth mode makes the store accept these keys for reading?
3. write permission: may these keys create webhooks? (a harmless, invalid POST)
"""

from urllib.parse import parse_qs, urlsplit

from stores.connector import Verification
from stores.woocommerce import errors
from stores.woocommerce.auth import candidate_modes
from stores.woocommerce.client import StoreResponse, WooCommerceClient, normalize_api_url
from stores.woocommerce.errors import StoreError
from stores.woocommerce.money import PRICE_DECIMALS_FACT, price_decimals

# Oldest WooCommerce whose REST API has what polling needs (`modified_after` on orders).
MINIMUM_WOOCOMMERCE_VERSION = (5, 8)
WC_NAMESPACE = "wc/v3"
INDEX_FIELDS = "name,url,home,namespaces"
# Store facts kept with a connection and shown to operators.
ENVIRONMENT_FIELDS = ("home_url", "site_url", "version", "wp_version", "php_version", "store_id")
# The system status sections they come from: `settings` has the store's number of decimals.
STORE_FACTS_QUERY = {"_fields": "environment,settings"}
# WooCommerce's answer when it saw no credentials at all (auth mode ignored by this store).
NOT_AUTHENTICATED_CODES = frozenset({"woocommerce_rest_cannot_view", "rest_not_logged_in"})
# The relation of the `Link` header in which WordPress names its REST root on every page.
REST_DISCOVERY_RELATION = "https://api.w.org/"
PLAIN_ADVICE = (
    "its permalinks are set to Plain, which WooCommerce's key authentication cannot work with. "
    "Choose any other structure (e.g. Post name) under Settings → Permalinks"
)
# A URL the store names goes into a message at most this long.
MAX_NAMED_URL = 300
READ_DENIED_MARKER = "does not have read permissions"
WRITE_DENIED_MARKER = "does not have write permissions"


def verify_store(
    api_url: str,
    consumer_key: str,
    consumer_secret: str,
    *,
    timeout: float = 20.0,
    verify: bool | str = True,
    allow_private: bool = True,
) -> Verification:
    """Check the store end to end; raise StoreError with a diagnosis code when it fails."""
    api_url = normalize_api_url(api_url)
    options = {"timeout": timeout, "verify": verify, "allow_private": allow_private}
    home_url = _discover(api_url, **options)
    last_error: StoreError | None = None
    for mode in candidate_modes(api_url):
        with WooCommerceClient(api_url, consumer_key, consumer_secret, mode, home_url=home_url, **options) as client:
            try:
                environment = _read_environment(client)
            except _CredentialsIgnored as ignored:
                last_error = ignored.error
                continue
            _check_write_permission(client)
            return Verification(api_url=api_url, auth_mode=mode, store=environment)
    raise StoreError(
        errors.INVALID_CREDENTIALS,
        "the store ignored the API keys in every way WooCommerce accepts them (Basic auth, "
        "query string, OAuth 1.0a); check that the keys exist under WooCommerce → Settings → "
        "Advanced → REST API and that the host passes the Authorization header through",
        status=last_error.status if last_error else None,
    )


class _CredentialsIgnored(Exception):
    """The store answered as if no credentials were sent: try the next auth mode."""

    def __init__(self, error: StoreError):
        self.error = error


def _discover(api_url: str, **options) -> str | None:
    """Find the WordPress REST index and WooCommerce in it; answer the store's home URL."""
    with WooCommerceClient(api_url, "", "", "basic", **options) as client:
        response = client.send("GET", "/wp-json/", params={"_fields": INDEX_FIELDS}, authenticated=False)
        if response.status_code in (401, 403):
            # Some security plugins hide the index from anonymous callers; the keys may still work.
            return None
        if 300 <= response.status_code < 400 or response.status_code >= 500:
            raise client.error_for(response)
        index = _json(response)
        if response.status_code == 200 and isinstance(index, dict) and "namespaces" in index:
            return _woocommerce_home(index, response.status_code)
        _check_announced_root(api_url, response)
        if response.status_code == 404:
            # No announcement (the web server's own 404): WordPress with permalinks on "Plain"
            # still answers ?rest_route=, never /wp-json/.
            plain = client.send("GET", "/", params={"rest_route": "/", "_fields": INDEX_FIELDS}, authenticated=False)
            plain_index = _json(plain)
            if plain.status_code == 200 and isinstance(plain_index, dict) and "namespaces" in plain_index:
                raise StoreError(errors.REST_API_DISABLED, f"WordPress answers, but /wp-json/ is 404: {PLAIN_ADVICE}", status=404)
            raise StoreError(
                errors.NOT_WOOCOMMERCE, f"no WordPress REST API at {api_url}/wp-json/ (404)", status=404
            )
        raise StoreError(
            errors.NOT_WOOCOMMERCE,
            f"{api_url} does not look like WordPress: /wp-json/ answered {response.status_code} "
            "without a REST API index",
            status=response.status_code,
        )


def _woocommerce_home(index: dict, status: int) -> str | None:
    """The home URL from a REST index that lists WooCommerce's namespace; else not_woocommerce."""
    namespaces = index.get("namespaces")
    if not isinstance(namespaces, list) or WC_NAMESPACE not in namespaces:
        raise StoreError(
            errors.NOT_WOOCOMMERCE,
            "WordPress answers, but WooCommerce's REST API (wc/v3) is not active on it",
            status=status,
        )
    home = index.get("home")
    return home if isinstance(home, str) and home.startswith(("http://", "https://")) else None


def _check_announced_root(api_url: str, response) -> None:
    """Diagnose by the REST root WordPress names on every page, 404s included, before guessing.

    Plain permalinks announce `index.php?rest_route=/`; an API URL with an extra path gets
    the theme's 404 naming the real root. The root is named, never followed: it comes from
    the store, and the keys go only where the admin pointed them.
    """
    root = response.links.get(REST_DISCOVERY_RELATION, {}).get("url")
    if not root:
        return
    parts = urlsplit(root)
    if "rest_route" in parse_qs(parts.query):
        raise StoreError(errors.REST_API_DISABLED, f"WordPress answers, but {PLAIN_ADVICE}", status=response.status_code)
    named = f"{parts.scheme}://{parts.netloc}{parts.path}"[:MAX_NAMED_URL]
    if "/wp-json" not in parts.path:
        raise StoreError(
            errors.UNEXPECTED_RESPONSE,
            f"this WordPress serves its REST API at {named}; Storelink needs it at /wp-json/",
            status=response.status_code,
        )
    root_path = urlsplit(normalize_api_url(root)).path
    given = urlsplit(api_url)
    if root_path != given.path:
        # The scheme and host stay the admin's: a store behind a proxy may announce http:// or an inner name.
        suggested = f"{given.scheme}://{given.netloc}{root_path}"[:MAX_NAMED_URL]
        raise StoreError(
            errors.NOT_WOOCOMMERCE,
            f"{api_url} is not the store's root: WordPress there says its REST API is at {named}; "
            f"use {suggested} as the API URL",
            status=response.status_code,
        )


def _read_environment(client: WooCommerceClient) -> dict:
    """Read the store's identity with the client's auth mode; classify a refusal."""
    try:
        response = client.get("system_status", STORE_FACTS_QUERY)
    except StoreError as error:
        if error.status == 401 and error.store_code in NOT_AUTHENTICATED_CODES:
            raise _CredentialsIgnored(error) from None
        if error.status == 401 and READ_DENIED_MARKER in error.message:
            raise StoreError(
                errors.INSUFFICIENT_PERMISSIONS,
                "the API key is write-only; Storelink needs a key with Read/Write permission",
                status=401,
                store_code=error.store_code,
            ) from None
        if error.status == 401:
            raise StoreError(
                errors.INVALID_CREDENTIALS,
                f"the store rejected the API keys: {_store_message(error)}",
                status=401,
                store_code=error.store_code,
            ) from None
        if error.status == 403:
            raise StoreError(
                errors.INSUFFICIENT_PERMISSIONS,
                "the keys are valid but their WordPress user may not manage WooCommerce; "
                "create the key for an administrator or shop manager",
                status=403,
                store_code=error.store_code,
            ) from None
        if error.status == 404:
            raise StoreError(
                errors.NOT_WOOCOMMERCE,
                "the store has no wc/v3 system status route: WooCommerce is missing or too old",
                status=404,
                store_code=error.store_code,
            ) from None
        raise
    store = store_facts(response)
    if _version_tuple(store.get("version")) < MINIMUM_WOOCOMMERCE_VERSION:
        raise StoreError(
            errors.NOT_WOOCOMMERCE,
            f"WooCommerce {store.get('version', '?')} is too old; Storelink needs "
            f"{'.'.join(map(str, MINIMUM_WOOCOMMERCE_VERSION))} or newer",
        )
    return store


def store_facts(response: StoreResponse) -> dict:
    """What a connection keeps of the store's `system_status` (`STORE_FACTS_QUERY`): identity and decimals."""
    body = response.body if isinstance(response.body, dict) else {}
    environment, settings = body.get("environment"), body.get("settings")
    if not isinstance(environment, dict):
        raise StoreError(
            errors.UNEXPECTED_RESPONSE, "the store's system status has no environment section", status=response.status
        )
    store = {key: environment.get(key) for key in ENVIRONMENT_FIELDS if environment.get(key) is not None}
    decimals = price_decimals(settings.get("number_of_decimals")) if isinstance(settings, dict) else None
    if decimals is not None:
        store[PRICE_DECIMALS_FACT] = decimals
    return store


def _check_write_permission(client: WooCommerceClient) -> None:
    """Ask to create a webhook with no fields: a read/write key gets 400, a read-only key 401."""
    try:
        response = client.post("webhooks", json={})
    except StoreError as error:
        if error.status == 400:
            return
        if error.status == 401 and WRITE_DENIED_MARKER in error.message:
            raise StoreError(
                errors.INSUFFICIENT_PERMISSIONS,
                "the API key is read-only; Storelink must create webhooks, so it needs a key "
                "with Read/Write permission",
                status=401,
                store_code=error.store_code,
            ) from None
        if error.status in (401, 403):
            raise StoreError(
                errors.INSUFFICIENT_PERMISSIONS,
                f"the keys may not create webhooks: {_store_message(error)}",
                status=error.status,
                store_code=error.store_code,
            ) from None
        raise
    # A store that accepted an empty webhook would have made one; do not leave it behind.
    webhook_id = response.body.get("id") if isinstance(response.body, dict) else None
    if webhook_id:
        client.delete(f"webhooks/{webhook_id}", params={"force": "true"})


def _store_message(error: StoreError) -> str:
    return error.message.removeprefix("the store refused the request: ")


def _json(response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _version_tuple(version: object) -> tuple[int, ...]:
    parts = []
    for part in str(version or "0").split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)
