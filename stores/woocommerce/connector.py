"""WooCommerce behind the connector interface (`stores.connector`): each part is a module of this package."""

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from stores.connector import (
    Advice,
    Connector,
    FieldHelp,
    IdPage,
    Page,
    StoreLink,
    StoreOptions,
    Verification,
    Walk,
    WebhookState,
)
from stores.errors import NO_RETRY, RetryPolicy
from stores.woocommerce import errors
from stores.woocommerce import walks as poll_walks
from stores.woocommerce import webhooks as store_webhooks
from stores.woocommerce.auth import BASIC, OAUTH1, QUERY_STRING
from stores.woocommerce.client import WooCommerceClient, normalize_api_url
from stores.woocommerce.deliveries import WooCommerceDeliveries
from stores.woocommerce.mapping import deleted_id, map_order, map_product
from stores.woocommerce.money import PRICE_DECIMALS_FACT, price_decimals, with_store_decimals
from stores.woocommerce.verify import STORE_FACTS_QUERY, store_facts, verify_store

# WooCommerce's REST keys: a prefix, then no spaces.
KEY_PREFIXES = {"access_token": ("ck_", "consumer key"), "secret": ("cs_", "consumer secret")}
_NO_SPACE = re.compile(r"^\S+$")
# The status of a trashed order or product: stored as deleted (restoring it makes it live again).
TRASH_STATUS = "trash"
REST_KEYS_PLACE = "WooCommerce → Settings → Advanced → REST API"

FIELDS = {
    "api_url": FieldHelp(
        "API URL",
        "The store's address, e.g. https://shop.example.com. The store needs pretty permalinks (Settings → Permalinks: anything but “Plain”).",
        "https://shop.example.com",
    ),
    "access_token": FieldHelp(
        "Access token (consumer key)",
        f"In WordPress: {REST_KEYS_PLACE} → Add key, with Permissions “Read/Write”. Starts with ck_.",
        "ck_…",
    ),
    "secret": FieldHelp(
        "Secret (consumer secret)",
        "Shown once, next to the consumer key, when the key is created. Starts with cs_. Stored encrypted and never shown again.",
        "cs_…",
    ),
}
ADVICE = {
    errors.UNREACHABLE: Advice(
        "Storelink could not reach the store",
        "Check the API URL (the store's home address) and that the store is online and reachable from this server.",
    ),
    errors.TLS_ERROR: Advice(
        "The store's HTTPS certificate was not accepted",
        "Renew or fix the store's certificate. A store with a private certificate authority needs STORE_CA_BUNDLE.",
    ),
    errors.NOT_WOOCOMMERCE: Advice(
        "No usable WooCommerce at this address",
        "Use the store's home address (e.g. https://shop.example.com) and make sure WooCommerce 5.8 or newer is active.",
    ),
    errors.REST_API_DISABLED: Advice(
        "The store's REST API is switched off by its permalinks",
        "In WordPress, open Settings → Permalinks and choose any structure but Plain (e.g. Post name), then verify again.",
    ),
    errors.INVALID_CREDENTIALS: Advice(
        "The store rejected the keys",
        f"Copy the consumer key and consumer secret again from {REST_KEYS_PLACE}; "
        "they must belong to the same key. A lost secret cannot be shown again: create a new key.",
    ),
    errors.INSUFFICIENT_PERMISSIONS: Advice(
        "The keys lack permission",
        f"In {REST_KEYS_PLACE}, edit the key (or create one) with Read/Write permission "
        "for an administrator or shop manager.",
    ),
    errors.UNEXPECTED_RESPONSE: Advice(
        "The store answered unexpectedly",
        "Try again in a moment. If it persists, look at the store's error log and at security plugins that block the REST API.",
    ),
}
AUTH_MODES = {
    OAUTH1: "OAuth 1.0a signatures (plain http)",
    BASIC: "HTTP Basic auth over https",
    QUERY_STRING: "keys in the query string (the host strips Authorization headers)",
}
# What the console says where the operator must act on the store itself.
TEXTS = {
    "new_keys": f"New keys: {REST_KEYS_PLACE} → Add key, Read/Write.",
    "replace_keys": f"create new keys in {REST_KEYS_PLACE} (Read/Write)",
    "webhooks_place": "WooCommerce → Settings → Advanced → Webhooks",
    "secret_format": "Starts with cs_.",
    "what_to_connect": "a WooCommerce store: you need its address and a REST API key with Read/Write permission",
    # The next step when the store's API is not where Storelink asked (jobs.store_trouble).
    "api_not_found": "Check that WooCommerce is active and that permalinks are not Plain (Settings → Permalinks).",
}


class WooCommerceConnector(Connector):
    """WooCommerce 5.8 or newer, through its `wc/v3` REST API and webhooks."""

    system = "woocommerce"
    label = "WooCommerce"
    fields = FIELDS
    advice = ADVICE
    auth_modes = AUTH_MODES
    texts = TEXTS
    deliveries = WooCommerceDeliveries()
    topics = store_webhooks.TOPICS
    walks = poll_walks.WALKS
    # wp_safe_remote_post's rule: a delivery URL on another port than these (or the store's own) is refused.
    delivery_ports = (80, 443, 8080)

    # -- connecting ---------------------------------------------------------------------

    def credential_errors(self, access_token: str | None, secret: str | None) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, value in (("access_token", access_token), ("secret", secret)):
            prefix, what = KEY_PREFIXES[name]
            if value is not None and (not value.startswith(prefix) or not _NO_SPACE.match(value)):
                found[name] = [f"must be a WooCommerce {what} starting with {prefix!r}, without spaces"]
        return found

    def normalize_api_url(self, api_url: str) -> str:
        return normalize_api_url(api_url)

    def verify(
        self, api_url: str, access_token: str, secret: str, options: StoreOptions, *, order_start: datetime | None = None
    ) -> Verification:
        return verify_store(
            api_url, access_token, secret, timeout=options.timeout, verify=options.verify, allow_private=options.allow_private
        )

    def client(self, link: StoreLink, options: StoreOptions, *, retry: RetryPolicy | None = None) -> WooCommerceClient:
        return WooCommerceClient(
            link.api_url,
            link.access_token,
            link.secret,
            link.auth_mode,
            home_url=(link.store or {}).get("home_url"),
            timeout=options.timeout,
            verify=options.verify,
            retry=retry or NO_RETRY,
            allow_private=options.allow_private,
        )

    def store_summary(self, store: Mapping[str, Any]) -> str:
        return f"WooCommerce {store.get('version') or '?'} on WordPress {store.get('wp_version') or '?'}"

    def store_facts(self, client: WooCommerceClient) -> dict:
        return store_facts(client.get("system_status", STORE_FACTS_QUERY))

    # -- webhooks -----------------------------------------------------------------------

    def register_webhooks(self, client, url: str, secret: str, name: str, *, refresh: bool) -> list[WebhookState]:
        return store_webhooks.register_webhooks(client, url, secret, name, refresh=refresh)

    def webhooks_on_store(self, client) -> dict[str, str]:
        return store_webhooks.webhooks_on_store(client)

    def needs_repair(self, status: str | None) -> bool:
        return store_webhooks.needs_repair(status)

    def remove_webhooks(self, client, store_webhook_ids: list[str]) -> dict[str, str]:
        return store_webhooks.remove_webhooks(client, store_webhook_ids)

    # -- records ------------------------------------------------------------------------

    def map_record(self, resource: str, payload: Any, parent: str | None = None, store: Mapping[str, Any] | None = None) -> dict:
        record = map_order(payload) if resource == "order" else map_product(payload, parent_external_id=parent)
        decimals = price_decimals((store or {}).get(PRICE_DECIMALS_FACT))
        if decimals is not None:
            with_store_decimals(resource, record, decimals)
        record["deleted"] = record["status"] == TRASH_STATUS
        return record

    def deleted_id(self, resource: str, payload: Any) -> str:
        return deleted_id(payload)

    def read_record(self, client, resource: str, external_id: str, parent: str | None) -> tuple[dict, str | None] | None:
        return poll_walks.read_record(client, resource, external_id, parent)

    # -- polling ------------------------------------------------------------------------

    def changed_pages(
        self, client, entity: str, walk: Walk, *, since: datetime | None, until: datetime, order_start: datetime
    ) -> Iterator[Page]:
        return poll_walks.changed_pages(client, entity, walk, since=since, until=until, order_start=order_start)

    def id_pages(self, client, entity: str, *, order_start: datetime) -> Iterator[IdPage]:
        return poll_walks.id_pages(client, entity, order_start=order_start)

    def missing_ids(self, client, entity: str, candidates: list[tuple[str, str | None]]) -> list[str]:
        return poll_walks.missing_ids(client, entity, candidates)
