"""WooEmulator: a WooCommerce 9.9.5 store on a local port, with knobs tests can turn."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer

from . import orders, products
from .api_orders import OrdersApi
from .api_products import ProductsApi
from .api_site import SiteApi
from .auth import KeyRing
from .faults import Delay, Failure, Faults
from .restserver import RestServer
from .server import RecordedRequest, WsgiApp, serve_in_thread, stop_serving
from .store import Store, Urls
from .tls import create_certificates
from .webhooks import (
    DELIVERY_TIMEOUT_SECONDS,
    PING_TIMEOUT_SECONDS,
    STATUSES,
    DeliveryResult,
    PingResult,
    Webhook,
    Webhooks,
    is_valid_topic,
    is_valid_url,
)

PERMALINK_MODES = ("pretty", "plain")


class WooEmulator:
    """An emulated WooCommerce store: REST API, key authentication, webhooks, on 127.0.0.1."""

    def __init__(
        self,
        *,
        https: bool = False,
        home_url: str | None = None,
        permalinks: str = "pretty",
        woocommerce_active: bool = True,
        is_ssl: bool | None = None,
        strip_authorization_header: bool = False,
        timezone_offset_hours: float = 0,
        clock: Callable[[], float] | None = None,
        auth_clock: Callable[[], float] | None = None,
        site_name: str = "Storelink test store",
        restrict_delivery_urls: bool = False,
        delivery_verify: bool | str = True,
        ping_timeout: float = PING_TIMEOUT_SECONDS,
        delivery_timeout: float = DELIVERY_TIMEOUT_SECONDS,
        price_decimals: int = 2,
    ):
        self.https = https
        self.permalinks = permalinks
        self.woocommerce_active = woocommerce_active
        self.is_ssl = https if is_ssl is None else is_ssl
        self.strip_authorization_header = strip_authorization_header
        self.site_name = site_name
        self.restrict_delivery_urls = restrict_delivery_urls
        self.delivery_verify = delivery_verify
        self.ping_timeout = ping_timeout
        # Seconds each ping's round trip takes before the receiver's answer counts (a slow
        # network or host): WooCommerce waits for it, up to ping_timeout, before answering.
        self.ping_latency = 0.0
        self.delivery_timeout = delivery_timeout
        # The store's clock (record dates) and the one OAuth timestamps are checked against.
        self.clock: Callable[[], float] = clock or time.time
        self.auth_clock: Callable[[], float] = auth_clock or time.time
        self.store_id = str(uuid.uuid4())
        self.requests: list[RecordedRequest] = []
        self.keys = KeyRing()
        self.faults = Faults()
        self.store = Store(lambda: self.clock(), timezone_offset_hours)
        self.price_decimals = price_decimals
        self.webhooks = Webhooks(self.store, self._payload_urls, self._webhook_settings)
        site = SiteApi(self.store, self.webhooks, self._site_settings)
        routes = site.routes() + OrdersApi(self.store).routes() + ProductsApi(self.store).routes()
        self.rest = RestServer(routes, lambda: self.woocommerce_active)
        self._home_url = home_url.rstrip("/") if home_url else None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_dir: Path | None = None
        self.ca_file: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> WooEmulator:
        """Serve on 127.0.0.1 and `port` (0: a free one; the old one: a store back from an outage), in a thread."""
        if self._server is not None:
            return self
        if self.permalinks not in PERMALINK_MODES:
            raise ValueError(f"permalinks must be one of {PERMALINK_MODES}, not {self.permalinks!r}")
        ssl_context = None
        if self.https:
            self._tls_dir = Path(tempfile.mkdtemp(prefix="woo-emulator-tls-"))
            certificates = create_certificates(self._tls_dir)
            self.ca_file = str(certificates.ca_file)
            ssl_context = certificates.server_context()
        self._server, self._thread = serve_in_thread(WsgiApp(self), "woo-emulator", ssl_context, port)
        return self

    def stop(self) -> None:
        """Stop serving and remove the temporary certificates."""
        if self._server is not None and self._thread is not None:
            stop_serving(self._server, self._thread)
            self._server = self._thread = None
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def __enter__(self) -> WooEmulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port served on."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """http(s)://127.0.0.1:PORT, where the emulator listens."""
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    @property
    def home_url(self) -> str:
        """The store's configured home URL (base_url unless set); OAuth signs against it."""
        return self._home_url or self.base_url

    @home_url.setter
    def home_url(self, value: str | None) -> None:
        self._home_url = value.rstrip("/") if value else None

    @property
    def timezone_offset_hours(self) -> float:
        """The store's UTC offset: local dates and offset-less date filters use it."""
        return self.store.timezone_offset_hours

    @timezone_offset_hours.setter
    def timezone_offset_hours(self, value: float) -> None:
        self.store.timezone_offset_hours = value

    @property
    def price_decimals(self) -> int:
        """woocommerce_price_num_decimals: order totals and variable products' prices use it."""
        return self.store.price_decimals

    @price_decimals.setter
    def price_decimals(self, value: int) -> None:
        self.store.price_decimals = value

    # -- how the store sees URLs -----------------------------------------------------------

    def urls_for_request(self, is_ssl: bool) -> Urls:
        """URLs as WordPress writes them during a request: the home host, https when is_ssl()."""
        home = self.home_url
        if is_ssl and home.startswith("http://"):
            home = "https://" + home[len("http://"):]
        return Urls(home, self.permalinks == "pretty")

    def _payload_urls(self) -> Urls:
        """URLs inside webhook payloads (built by cron, outside any request)."""
        return Urls(self.home_url, self.permalinks == "pretty")

    def _site_settings(self) -> dict[str, Any]:
        """What the site handlers need to know about the emulator."""
        return {
            "home_url": self.home_url,
            "site_name": self.site_name,
            "store_id": self.store_id,
            "woocommerce_active": self.woocommerce_active,
            "is_ssl": self.is_ssl,
        }

    def _webhook_settings(self) -> dict[str, Any]:
        """What deliveries need: the source header, timeouts, TLS verification, URL safety."""
        return {
            "home_url": self.home_url,
            "ping_timeout": self.ping_timeout,
            "ping_latency": self.ping_latency,
            "delivery_timeout": self.delivery_timeout,
            "verify": self.delivery_verify,
            "restrict_delivery_urls": self.restrict_delivery_urls,
            "store_port": self.port if self._server is not None else None,
        }

    # -- keys ------------------------------------------------------------------------------

    def add_key(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write") -> None:
        """Register a REST API key ("read", "write" or "read_write")."""
        self.keys.add(consumer_key, consumer_secret, permissions)

    def new_key(self, permissions: str = "read_write") -> tuple[str, str]:
        """Generate and register a realistic key; returns (consumer_key, consumer_secret)."""
        key = self.keys.new(permissions)
        return key.consumer_key, key.consumer_secret

    # -- orders ----------------------------------------------------------------------------

    def _order(self, record: dict[str, Any]) -> dict[str, Any]:
        """An order as GET /orders/<id> shows it over plain http."""
        return orders.order_json(self.store, record, self._payload_urls())

    def create_order(self, **fields: Any) -> dict[str, Any]:
        """Create an order (REST field names; also id, order_key, date_created, total)."""
        return self._order(orders.create_order(self.store, fields))

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        """Change an order, e.g. update_order(93, status="completed")."""
        return self._order(orders.update_order(self.store, order_id, fields))

    def trash_order(self, order_id: int) -> dict[str, Any]:
        """Move an order to the trash (order.deleted with {"id": N})."""
        return self._order(orders.trash_order(self.store, order_id))

    def restore_order(self, order_id: int) -> dict[str, Any]:
        """Take an order out of the trash (order.restored)."""
        return self._order(orders.restore_order(self.store, order_id))

    def force_delete_order(self, order_id: int) -> None:
        """Delete an order for good (no webhook)."""
        orders.force_delete_order(self.store, order_id)

    def refund_order(self, order_id: int, amount: Any, reason: str = "") -> dict[str, Any]:
        """Refund part or all of an order (order.updated of the order)."""
        return self._order(orders.refund_order(self.store, order_id, amount, reason))

    def get_order(self, order_id: int) -> dict[str, Any]:
        """An order as the REST API shows it."""
        with self.store.lock:
            return self._order(orders.get_order(self.store, order_id))

    # -- products --------------------------------------------------------------------------

    def _product(self, record: dict[str, Any]) -> dict[str, Any]:
        """A product (or variation) as GET /products/<id> shows it over plain http."""
        return products.product_json(self.store, record, self._payload_urls())

    def create_product(self, **fields: Any) -> dict[str, Any]:
        """Create a product (REST field names; categories may be names)."""
        return self._product(products.create_product(self.store, fields))

    def create_variable_product(
        self, name: str, attributes: dict[str, list[str]], variations: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]:
        """A variable product and its variations: variations=[{"attributes": {"Size": "L"}, "regular_price": "9"}]."""
        with self.store.lock:
            record = products.create_product(
                self.store, {**fields, "name": name, "type": "variable", "attributes": attributes}
            )
            for variation in variations:
                products.create_variation(self.store, record["id"], variation)
            return self._product(record)

    def create_variation(self, parent_id: int, **fields: Any) -> dict[str, Any]:
        """Add a variation to a variable product."""
        return self._product(products.create_variation(self.store, parent_id, fields))

    def update_product(self, product_id: int, **fields: Any) -> dict[str, Any]:
        """Change a product or a variation (product.updated)."""
        return self._product(products.update_product(self.store, product_id, fields))

    update_variation = update_product

    def trash_product(self, product_id: int) -> dict[str, Any]:
        """Move a product to the trash (product.deleted with {"id": N})."""
        return self._product(products.trash_product(self.store, product_id))

    def restore_product(self, product_id: int) -> dict[str, Any]:
        """Take a product out of the trash (product.updated and product.restored)."""
        return self._product(products.restore_product(self.store, product_id))

    def force_delete_product(self, product_id: int) -> None:
        """Delete a product (and its variations) for good (no webhook)."""
        products.force_delete_product(self.store, product_id)

    def get_product(self, product_id: int) -> dict[str, Any]:
        """A product or variation in the /products/<id> shape."""
        with self.store.lock:
            return self._product(products.get_product(self.store, product_id))

    def get_variation(self, variation_id: int) -> dict[str, Any]:
        """A variation in the /products/<parent>/variations/<id> shape (name "L, Red")."""
        with self.store.lock:
            record = products.get_product(self.store, variation_id)
            return products.variation_json(self.store, record, self._payload_urls())

    # -- webhooks --------------------------------------------------------------------------

    def create_webhook(
        self,
        topic: str,
        delivery_url: str,
        secret: str | None = None,
        name: str | None = None,
        status: str = "active",
        ping: bool = True,
    ) -> Webhook:
        """Create a webhook as the admin screen would; an active one is pinged unless ping=False."""
        if not is_valid_topic(topic):
            raise ValueError(f"not a webhook topic WooCommerce accepts: {topic!r}")
        if not is_valid_url(delivery_url):
            raise ValueError(f"delivery_url must be an http:// or https:// URL, not {delivery_url!r}")
        webhook = self.webhooks.create(topic, delivery_url, secret=secret, name=name, status=status)
        if ping and webhook.status == "active":
            self.webhooks.ping(webhook)
        return webhook

    def webhook(self, webhook_id: int) -> Webhook:
        """The live webhook record: status, secret, failure_count, pending_delivery."""
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            raise KeyError(f"no webhook {webhook_id}")
        return webhook

    def set_webhook_status(self, webhook_id: int, status: str) -> Webhook:
        """Change a webhook's status and save it, as an admin does in wp-admin (e.g. "paused")."""
        webhook = self.webhook(webhook_id)
        with self.store.lock:
            # WC_Webhook::set_status(): a status WooCommerce does not know becomes "disabled".
            webhook.status = status if status in STATUSES else "disabled"
        self.webhooks.save(webhook)
        return webhook

    def run_cron(self) -> list[DeliveryResult]:
        """Run WP-Cron: send every queued delivery (payloads built now) and answer what happened."""
        return self.webhooks.run_cron()

    @property
    def pending_deliveries(self) -> list[tuple[int, Any]]:
        """(webhook id, resource id) pairs waiting for the next run_cron()."""
        return self.webhooks.pending

    @property
    def deliveries(self) -> list[DeliveryResult]:
        """Every delivery attempted so far."""
        return self.webhooks.deliveries

    @property
    def pings(self) -> list[PingResult]:
        """Every ping sent so far."""
        return self.webhooks.pings

    # -- faults ----------------------------------------------------------------------------

    def fail_next(
        self, path_substring: str, status: int, count: int = 1, retry_after: int | str | None = None, body: Any = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` requests (of `method`, or any) whose URI contains `path_substring` with `status`."""
        self.faults.fail_next(Failure(path_substring, status, count, retry_after, body, method))

    def delay_next(self, path_substring: str, seconds: float, count: int = 1) -> None:
        """Sleep `seconds` before answering the next `count` matching requests."""
        self.faults.delay_next(Delay(path_substring, seconds, count))

    def clear_faults(self) -> None:
        """Forget queued failures and delays."""
        self.faults.clear()
