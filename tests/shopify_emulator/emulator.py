"""ShopifyEmulator: a Shopify shop on a local HTTPS port, with knobs tests can turn."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer

from tests.woo_emulator.faults import Delay, Failure, Faults
from tests.woo_emulator.server import RecordedRequest, serve_in_thread, stop_serving

from . import rest, shop
from .api import GraphqlApi
from .auth import TOKEN_LIFETIME_SECONDS, App, AppRegistry
from .bulk import BulkOperations
from .cost import MAX_QUERY_COST, Bucket
from .graph import Context
from .mutations import other_node, subscriptions_connection
from .server import WsgiApp
from .store import Store
from .tls import create_certificates
from .webhooks import (
    CONNECT_TIMEOUT_SECONDS,
    DELIVERY_TIMEOUT_SECONDS,
    MAX_CONSECUTIVE_FAILURES,
    RETRY_DELAYS,
    DeliveryResult,
    Subscription,
    Webhooks,
)

API_VERSION = "2026-10"  # the newest stable version in late 2026
SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
RELEASE_CANDIDATES = ("2027-01",)
DEFAULT_SCOPES = ("read_orders", "read_products")


class ShopifyEmulator:
    """An emulated Shopify shop: Admin GraphQL API, apps and tokens, webhooks, bulk operations."""

    def __init__(
        self, *, shop_name: str = "storelink-test", title: str = "Storelink test shop", currency: str = "USD",
        timezone: str = "America/New_York", clock: Callable[[], float] | None = None,
        supported_versions: Iterable[str] = SUPPORTED_VERSIONS, serve_version: str | None = None,
        webhook_api_version: str = API_VERSION, bucket_size: float = 2000, restore_rate: float = 100,
        max_query_cost: int = MAX_QUERY_COST, throttled_status: int = 200,
        token_lifetime: float = TOKEN_LIFETIME_SECONDS, grant_refusal: str = "oauth", auto_deliver: bool = True,
        retry_delays: Iterable[float] = RETRY_DELAYS, max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
        duplicate_probability: float = 0.0, connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        delivery_timeout: float = DELIVERY_TIMEOUT_SECONDS, delivery_verify: bool | str = True,
        require_https_uri: bool = False, deletion_payload_fields: Iterable[str] = ("id",),
    ):
        self.shop_name, self.title, self.currency, self.timezone = shop_name, title, currency, timezone
        self.shop_id = 60_123_456_789
        self.clock: Callable[[], float] = clock or time.time
        self.supported_versions = tuple(supported_versions)
        self.serve_version, self.webhook_api_version = serve_version, webhook_api_version
        self.max_query_cost = max_query_cost
        # [UNCERTAIN] HTTP status of a THROTTLED answer: 200 (usual) or 429.
        self.throttled_status = throttled_status
        self.auto_deliver = auto_deliver
        self.retry_delays, self.max_consecutive_failures = tuple(retry_delays), max_consecutive_failures
        self.duplicate_probability = duplicate_probability
        self.connect_timeout, self.delivery_timeout, self.delivery_verify = connect_timeout, delivery_timeout, delivery_verify
        # Shopify refuses http:// delivery addresses; tests' receivers are often plain http.
        self.require_https_uri = require_https_uri
        # No such shop: "404" (a page) or "redirect" (to shopify.com) for every request.
        self.missing_shop: str | None = None
        # [UNCERTAIN] what orders/delete and products/delete carry besides the id.
        self.deletion_payload_fields = tuple(deletion_payload_fields)
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self.store = Store(lambda: self.clock())
        self.store.listeners.append(self._on_change)
        self.apps = AppRegistry(lambda: self.clock(), token_lifetime, grant_refusal)
        self.bucket = Bucket(lambda: self.clock(), bucket_size, restore_rate)
        self.webhooks = Webhooks(lambda: self.clock(), self._webhook_settings)
        self.bulk = BulkOperations(self)
        self.graphql = GraphqlApi(self)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_dir: Path | None = None
        self.ca_file: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, port: int = 0) -> ShopifyEmulator:
        """Serve HTTPS on 127.0.0.1 and `port` (0: a free one), and start the webhook sender."""
        if self._server is None:
            self._tls_dir = Path(tempfile.mkdtemp(prefix="shopify-emulator-tls-"))
            certificates = create_certificates(self._tls_dir, self.domain)
            self.ca_file = str(certificates.ca_file)
            self._server, self._thread = serve_in_thread(
                WsgiApp(self), "shopify-emulator", certificates.server_context(), port)
            self.webhooks.start()
        return self

    def stop(self) -> None:
        """Stop serving and sending, and remove the temporary certificates."""
        self.webhooks.stop()
        if self._server is not None and self._thread is not None:
            stop_serving(self._server, self._thread)
            self._server = self._thread = None
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def __enter__(self) -> ShopifyEmulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def domain(self) -> str:
        """The shop's permanent name: <shop_name>.myshopify.com."""
        return f"{self.shop_name}.myshopify.com"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """https://<shop>.myshopify.com:PORT (resolve *.myshopify.com to loopback: tests/resolver.py)."""
        return f"https://{self.domain}:{self.port}"

    @property
    def loopback_url(self) -> str:
        """https://127.0.0.1:PORT (the certificate names 127.0.0.1 too)."""
        return f"https://127.0.0.1:{self.port}"

    def graphql_url(self, version: str = API_VERSION) -> str:
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    def version_served(self, requested: str) -> str | None:
        """The version answering a request for `requested` (unsupported ones fall forward); None: 404."""
        return shop.version_served(requested, self.supported_versions, RELEASE_CANDIDATES, self.serve_version)

    @property
    def bucket_size(self) -> float:
        return self.bucket.maximum

    @bucket_size.setter
    def bucket_size(self, value: float) -> None:
        self.bucket.maximum = float(value)
        self.bucket.set_available(min(self.bucket.available, value))

    @property
    def restore_rate(self) -> float:
        return self.bucket.restore_rate

    @restore_rate.setter
    def restore_rate(self, value: float) -> None:
        self.bucket.restore_rate = float(value)

    def _webhook_settings(self) -> dict[str, Any]:
        return {
            "domain": self.domain, "auto_deliver": self.auto_deliver, "retry_delays": self.retry_delays,
            "max_consecutive_failures": self.max_consecutive_failures,
            "duplicate_probability": self.duplicate_probability, "connect_timeout": self.connect_timeout,
            "delivery_timeout": self.delivery_timeout, "verify": self.delivery_verify,
        }

    # -- apps -----------------------------------------------------------------------------

    def create_legacy_app(self, scopes: Iterable[str] = DEFAULT_SCOPES, title: str = "Storelink") -> App:
        """An admin-created custom app: `access_token` (shpat_, permanent) and `secret` (API secret key)."""
        return self.apps.add("legacy", list(scopes), title)

    def create_dev_app(self, scopes: Iterable[str] = DEFAULT_SCOPES, title: str = "Storelink",
                       installed: bool = True) -> App:
        """A Dev Dashboard app: `client_id` and `secret` (Client secret) for the client credentials grant."""
        return self.apps.add("dev_dashboard", list(scopes), title, installed)

    def set_scopes(self, app: App, scopes: Iterable[str]) -> None:
        """Release a new app version with these scopes (takes effect at once)."""
        app.scopes = list(scopes)

    def uninstall_app(self, app: App) -> None:
        """Uninstall: tokens revoked, app/uninstalled delivered, the app's subscriptions then deleted."""
        self.apps.uninstall(app)
        self.webhooks.event("app/uninstalled", rest.shop_json(shop.shop_json_fields(self)), self.apps.apps, app.id)
        for subscription in self.webhooks.for_app(app.id):
            self.webhooks.remove(subscription.id, drop_queued=False)

    def reinstall_app(self, app: App) -> None:
        self.apps.reinstall(app)

    # -- records --------------------------------------------------------------------------

    def shop_node(self) -> dict[str, Any]:
        """The Shop object."""
        return shop.shop_node(self)

    def _on_change(self, topic: str, record: dict[str, Any]) -> None:
        self.webhooks.event(topic, shop.payload(self, topic, record), self.apps.apps)

    def create_order(self, **fields: Any) -> dict[str, Any]:
        """An order (REST field names); line_items=[{"variant_id": N, "quantity": 2}]. Returns the REST shape."""
        fields.setdefault("currency", self.currency)
        fields.setdefault("presentment_currency", fields["currency"])
        return rest.order_json(self.store.create_order(fields), self.timezone)

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        """Change an order, e.g. update_order(n, financial_status="refunded"): orders/updated."""
        return rest.order_json(self.store.update_order(order_id, fields), self.timezone)

    def delete_order(self, order_id: int) -> None:
        """Delete an order: orders/delete with only its id."""
        self.store.delete_order(order_id)

    def get_order(self, order_id: int) -> dict[str, Any]:
        """An order in the REST shape (KeyError once deleted)."""
        with self.store.lock:
            return rest.order_json(self.store.orders[order_id], self.timezone)

    def create_product(self, **fields: Any) -> dict[str, Any]:
        """A product; variants=[{"sku": "A", "price": "9.00", "option1": "Red"}, ...] (default: one)."""
        return rest.product_json(self.store.create_product(fields), self.timezone)

    def update_product(self, product_id: int, **fields: Any) -> dict[str, Any]:
        """Change a product (variants=[...] replaces them): products/update."""
        return rest.product_json(self.store.update_product(product_id, fields), self.timezone)

    def update_variant(self, variant_id: int, **fields: Any) -> dict[str, Any]:
        """Change a variant: products/update of its product, which is returned."""
        return rest.product_json(self.store.update_variant(variant_id, fields), self.timezone)

    def delete_product(self, product_id: int) -> None:
        """Delete a product and its variants: products/delete with only its id."""
        self.store.delete_product(product_id)

    def get_product(self, product_id: int) -> dict[str, Any]:
        with self.store.lock:
            return rest.product_json(self.store.products[product_id], self.timezone)

    # -- GraphQL helpers the resolvers call -----------------------------------------------

    def other_node(self, context: Context, kind: str, record_id: int) -> dict[str, Any] | None:
        return other_node(context, kind, record_id)

    def subscriptions_connection(self, context: Context, args: dict[str, Any]) -> dict[str, Any]:
        return subscriptions_connection(context, args)

    # -- webhooks -------------------------------------------------------------------------

    def create_subscription(self, app: App, topic: str, uri: str, **fields: Any) -> Subscription:
        """Subscribe as the app would through webhookSubscriptionCreate (topic: "ORDERS_CREATE"...)."""
        return self.webhooks.add(app.id, topic, uri, api_version=self.webhook_api_version, **fields)

    def subscriptions(self, app: App | None = None) -> list[Subscription]:
        """Live subscriptions (of one app, or all)."""
        with self.webhooks.lock:
            return [s for s in self.webhooks.subscriptions.values() if app is None or s.app_id == app.id]

    @property
    def removed_subscriptions(self) -> list[Subscription]:
        """Subscriptions Shopify deleted after too many failed deliveries."""
        return list(self.webhooks.removed)

    @property
    def deliveries(self) -> list[DeliveryResult]:
        return list(self.webhooks.deliveries)

    @property
    def pending_deliveries(self) -> list[Any]:
        return self.webhooks.pending

    def deliver_pending(self) -> list[DeliveryResult]:
        """Send every delivery due by the clock now, in this thread (with auto_deliver=False)."""
        return self.webhooks.deliver_due()

    # -- faults ---------------------------------------------------------------------------

    def fail_next(self, path_substring: str, status: int, count: int = 1, retry_after: int | str | None = None,
                  body: Any = None, method: str | None = None) -> None:
        """Answer the next `count` requests whose path (or GraphQL body) contains `path_substring` with `status`."""
        self.faults.fail_next(Failure(path_substring, status, count, retry_after, body, method))

    def delay_next(self, path_substring: str, seconds: float, count: int = 1) -> None:
        self.faults.delay_next(Delay(path_substring, seconds, count))

    def clear_faults(self) -> None:
        self.faults.clear()
