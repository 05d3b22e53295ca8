"""Shopify behind the connector interface (`stores.connector`): each part is a module of this package."""

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
from stores.errors import NO_RETRY, MappingError, RetryPolicy
from stores.shopify import errors
from stores.shopify import walks as poll_walks
from stores.shopify import webhooks as shop_webhooks
from stores.shopify.client import ShopifyClient
from stores.shopify.deliveries import ShopifyDeliveries
from stores.shopify.mapping import deleted_id, map_order, map_product, variants_of
from stores.shopify.tokens import ADMIN_TOKEN, ADMIN_TOKEN_PREFIX, CLIENT_CREDENTIALS
from stores.shopify.verify import CURRENCY_FACT, STORE_FACTS_QUERY, normalize_api_url, store_facts, verify_shop

_NO_SPACE = re.compile(r"^\S+$")
# The prefix of an admin-created app's API secret key: it belongs in Secret, not Access token.
SECRET_KEY_PREFIX = "shpss_"
APP_PLACE = "Shopify admin → Settings → Apps and sales channels → Develop apps (an app made before 2026), or the Dev Dashboard (dev.shopify.com)"
SCOPES = "read_orders and read_products (and read_all_orders for orders older than 60 days)"

FIELDS = {
    "api_url": FieldHelp(
        "API URL",
        "The shop's permanent address, https://<shop>.myshopify.com (Shopify admin → Settings → Domains), "
        "not its storefront domain.",
        "https://your-shop.myshopify.com",
    ),
    "access_token": FieldHelp(
        "Admin API access token (shpat_…) or Client ID",
        "A custom app created in the Shopify admin: its Admin API access token (starts with shpat_, shown once under "
        "API credentials). A Dev Dashboard app: its Client ID (the app's Settings); Storelink obtains and renews "
        f"the app's access tokens itself. The app needs the scopes {SCOPES}.",
        "shpat_… or Client ID",
    ),
    "secret": FieldHelp(
        "API secret key or Client secret",
        "The same app's API secret key (admin-created app) or Client secret (Dev Dashboard app). Shopify signs "
        "its webhooks with it. Stored encrypted and never shown again.",
        "",
    ),
}
ADVICE = {
    errors.UNREACHABLE: Advice(
        "Storelink could not reach the shop",
        "Check the API URL (https://<shop>.myshopify.com) and that this server can reach the internet.",
    ),
    errors.TLS_ERROR: Advice(
        "The shop's HTTPS certificate was not accepted",
        "Check the API URL; a shop reached through a private certificate authority needs STORE_CA_BUNDLE.",
    ),
    errors.NOT_SHOPIFY: Advice(
        "No Shopify shop at this address",
        "Use the shop's permanent https://<shop>.myshopify.com address (Shopify admin → Settings → Domains), "
        "not the storefront's own domain, and check the shop name.",
    ),
    errors.INVALID_CREDENTIALS: Advice(
        "Shopify rejected the credentials",
        "Copy them again: an admin-created app's Admin API access token (shpat_…) and API secret key, or a Dev "
        "Dashboard app's Client ID and Client secret. A Dev Dashboard app must be installed on this shop; "
        "an uninstalled app's tokens stop working.",
    ),
    errors.INSUFFICIENT_PERMISSIONS: Advice(
        "The app lacks access scopes",
        f"Give the app the Admin API scopes {SCOPES}: in the Dev Dashboard release a new version with them and "
        "install it; for an admin-created app, edit its Admin API scopes and save.",
    ),
    errors.UNEXPECTED_RESPONSE: Advice(
        "Shopify answered unexpectedly",
        "Try again in a moment. If it persists, check Shopify's status page (www.shopifystatus.com).",
    ),
}
AUTH_MODES = {
    ADMIN_TOKEN: "an Admin API access token (custom app created in the Shopify admin)",
    CLIENT_CREDENTIALS: "access tokens granted to a Dev Dashboard app (client credentials)",
}
TEXTS = {
    "new_keys": "New credentials: an admin-created app's Admin API access token (shpat_…), or a Dev Dashboard app's Client ID.",
    "replace_keys": f"check that the app is installed and copy its credentials again ({APP_PLACE})",
    "webhooks_place": "Shopify's Admin API (webhookSubscriptions); they are not listed under Settings → Notifications",
    "secret_format": "The app's API secret key or Client secret.",
    "what_to_connect": f"a Shopify shop: you need its myshopify.com address and an app with the scopes {SCOPES}",
}


class ShopifyConnector(Connector):
    """A Shopify shop, through the Admin GraphQL API and shop-specific webhook subscriptions."""

    system = "shopify"
    label = "Shopify"
    fields = FIELDS
    advice = ADVICE
    auth_modes = AUTH_MODES
    texts = TEXTS
    deliveries = ShopifyDeliveries()
    topics = shop_webhooks.TOPICS
    walks = poll_walks.WALKS

    # -- connecting ---------------------------------------------------------------------

    def credential_errors(self, access_token: str | None, secret: str | None) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if access_token is not None:
            if not _NO_SPACE.match(access_token):
                found["access_token"] = ["must be an Admin API access token (shpat_…) or a Client ID, without spaces"]
            elif access_token.startswith(SECRET_KEY_PREFIX):
                found["access_token"] = ["is an API secret key (shpss_…): it goes in secret; here goes the Admin API access token (shpat_…)"]
        if secret is not None:
            if not _NO_SPACE.match(secret):
                found["secret"] = ["must be the app's API secret key or Client secret, without spaces"]
            elif secret.startswith(ADMIN_TOKEN_PREFIX):
                found["secret"] = ["is an Admin API access token (shpat_…): it goes in access_token; here goes the API secret key"]
        return found

    def normalize_api_url(self, api_url: str) -> str:
        return normalize_api_url(api_url)

    def verify(
        self, api_url: str, access_token: str, secret: str, options: StoreOptions, *, order_start: datetime | None = None
    ) -> Verification:
        return verify_shop(api_url, access_token, secret, options, order_start=order_start)

    def client(self, link: StoreLink, options: StoreOptions, *, retry: RetryPolicy | None = None) -> ShopifyClient:
        return ShopifyClient(
            link.api_url,
            link.access_token,
            link.secret,
            timeout=options.timeout,
            verify=options.verify,
            retry=retry or NO_RETRY,
            allow_private=options.allow_private,
        )

    def store_summary(self, store: Mapping[str, Any]) -> str:
        name = store.get("name") or store.get("myshopify_domain") or "?"
        return f"Shopify shop {name} ({store.get('currency') or '?'})"

    def store_facts(self, client: ShopifyClient) -> dict:
        return store_facts(client.graphql(STORE_FACTS_QUERY))

    # -- webhooks -----------------------------------------------------------------------

    def register_webhooks(self, client, url: str, secret: str, name: str, *, refresh: bool) -> list[WebhookState]:
        return shop_webhooks.register_webhooks(client, url, secret, name, refresh=refresh)

    def webhooks_on_store(self, client) -> dict[str, str]:
        return shop_webhooks.webhooks_on_store(client)

    def needs_repair(self, status: str | None) -> bool:
        return shop_webhooks.needs_repair(status)

    def remove_webhooks(self, client, store_webhook_ids: list[str]) -> dict[str, str]:
        return shop_webhooks.remove_webhooks(client, store_webhook_ids)

    # -- records ------------------------------------------------------------------------

    def map_record(self, resource: str, payload: Any, parent: str | None = None, store: Mapping[str, Any] | None = None) -> dict:
        currency = (store or {}).get(CURRENCY_FACT)  # product prices are written at the shop currency's decimals
        record = map_order(payload) if resource == "order" else map_product(payload, parent=parent, currency=currency)
        record.setdefault("deleted", False)  # Shopify deletes for good: a record it sends is live
        return record

    def delivered_items(self, resource: str, payload: Any) -> list[tuple[Any, str | None]]:
        if resource != "product":
            return [(payload, None)]
        if isinstance(payload, dict) and payload.get("parent_id") is not None:
            # A variant a poll could not store, retried alone: jobs.polls names its product as `parent_id`.
            variant = {key: value for key, value in payload.items() if key != "parent_id"}
            return [(variant, str(payload["parent_id"]))]
        try:
            return variants_of(payload)  # the product, then each variant with the product as parent
        except MappingError:
            return [(payload, None)]  # the mapper refuses it, naming the field

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
