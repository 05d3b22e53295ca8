"""Verify a Shopify connection and say precisely why one does not work.

The API URL must be the shop's permanent `https://<shop>.myshopify.com` address: a custom
storefront domain serves the shop's pages but not its Admin API, so it is refused
(`not_shopify`) with the advice to use the myshopify address. One cheap query then proves
the credentials and reads the shop and the app's granted access scopes.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from stores.connector import StoreOptions, Verification
from stores.shopify import errors
from stores.shopify.client import ShopifyClient
from stores.shopify.errors import StoreError
from stores.shopify.money import decimals_of

SHOP_SUFFIX = ".myshopify.com"
SHOP_QUERY = "shop { name myshopifyDomain currencyCode ianaTimezone }"
VERIFY_QUERY = f"{{ {SHOP_QUERY} currentAppInstallation {{ accessScopes {{ handle }} }} }}"
STORE_FACTS_QUERY = f"{{ {SHOP_QUERY} }}"
# Store facts mapping reads: the shop's currency, and its number of decimals (as WooCommerce's `price_decimals`).
CURRENCY_FACT = "currency"
PRICE_DECIMALS_FACT = "price_decimals"
READ_ORDERS, READ_PRODUCTS, READ_ALL_ORDERS = "read_orders", "read_products", "read_all_orders"
REQUIRED_SCOPES = (READ_ORDERS, READ_PRODUCTS)
# Without read_all_orders, Shopify returns only the orders of the last 60 days.
RECENT_ORDERS_WINDOW = timedelta(days=60)
DOMAIN_ADVICE = (
    "use the shop's permanent address https://<shop>.myshopify.com (Shopify admin → Settings → Domains); "
    "a storefront domain does not serve the Admin API"
)


def normalize_api_url(api_url: str) -> str:
    """`https://<shop>.myshopify.com` (an explicit port kept): lower case, no path such as `/admin` pasted from a browser."""
    parts = urlsplit(api_url.strip())
    netloc = parts.netloc.lower()
    scheme = "https" if netloc.split(":", 1)[0].endswith(SHOP_SUFFIX) else parts.scheme.lower()
    return urlunsplit((scheme, netloc, "", "", ""))


def shop_host(api_url: str) -> str:
    return (urlsplit(api_url).hostname or "").lower()


def verify_shop(
    api_url: str, access_token: str, secret: str, options: StoreOptions, *, order_start: datetime | None = None
) -> Verification:
    """Check the shop end to end; raise StoreError with a diagnosis code when it fails."""
    api_url = normalize_api_url(api_url)
    host = shop_host(api_url)
    if not host.endswith(SHOP_SUFFIX) or host == SHOP_SUFFIX.lstrip("."):
        raise StoreError(errors.NOT_SHOPIFY, f"{host or api_url} is not a *.myshopify.com address: {DOMAIN_ADVICE}")
    with ShopifyClient(
        api_url, access_token, secret, timeout=options.timeout, verify=options.verify, allow_private=options.allow_private
    ) as client:
        try:
            data = client.graphql(VERIFY_QUERY)
        except StoreError as error:
            raise _diagnosed(error, host, client.auth_mode) from None
        store = store_facts(data)
        granted = _scopes(data)
        missing = missing_scopes(granted, order_start)
        if missing:
            raise StoreError(
                errors.INSUFFICIENT_PERMISSIONS,
                f"the app lacks the access scopes {', '.join(missing)}; give it them (and release and install the "
                "new version, for a Dev Dashboard app), then verify again",
            )
        return Verification(api_url=api_url, auth_mode=client.auth_mode, store=store)


def missing_scopes(granted: set[str], order_start: datetime | None, now: datetime | None = None) -> list[str]:
    """The scopes Storelink needs that `granted` lacks (write_x counts as read_x)."""
    needed = list(REQUIRED_SCOPES)
    now = now or datetime.now(UTC)
    if order_start is not None:
        start = order_start if order_start.tzinfo else order_start.replace(tzinfo=UTC)
        if start < now - RECENT_ORDERS_WINDOW:
            needed.append(READ_ALL_ORDERS)
    return [scope for scope in needed if scope not in granted and "write_" + scope.removeprefix("read_") not in granted]


def store_facts(data: dict) -> dict:
    """What a connection keeps of the shop: its name, permanent domain, currency (and its decimals) and time zone."""
    shop = data.get("shop")
    if not isinstance(shop, dict) or not isinstance(shop.get("currencyCode"), str):
        raise StoreError(errors.UNEXPECTED_RESPONSE, "Shopify answered without the shop's currency")
    facts = {"name": shop.get("name"), "myshopify_domain": shop.get("myshopifyDomain"),
             CURRENCY_FACT: shop["currencyCode"], "timezone": shop.get("ianaTimezone")}
    kept: dict = {key: value for key, value in facts.items() if isinstance(value, str)}
    decimals = decimals_of(shop["currencyCode"])
    if decimals is not None:
        kept[PRICE_DECIMALS_FACT] = decimals
    return kept


def _scopes(data: dict) -> set[str]:
    installation = data.get("currentAppInstallation")
    scopes = installation.get("accessScopes") if isinstance(installation, dict) else None
    if not isinstance(scopes, list):
        raise StoreError(errors.UNEXPECTED_RESPONSE, "Shopify answered without the app's access scopes")
    return {scope["handle"] for scope in scopes if isinstance(scope, dict) and isinstance(scope.get("handle"), str)}


def _diagnosed(error: StoreError, host: str, auth_mode: str) -> StoreError:
    """The verification cause of a client error."""
    if error.status is not None and (300 <= error.status < 400 or error.status == 404 or error.store_code == "not_json"):
        return StoreError(
            errors.NOT_SHOPIFY,
            f"no Shopify shop answers at {host} (HTTP {error.status}); check the shop name, or {DOMAIN_ADVICE}",
            status=error.status,
        )
    if error.code == errors.INVALID_CREDENTIALS:
        what = "the Admin API access token" if auth_mode == "admin_token" else "the Client ID and Client secret"
        return StoreError(
            errors.INVALID_CREDENTIALS,
            f"Shopify did not accept {what} for {host}: {error.message}",
            status=error.status,
        )
    return error
