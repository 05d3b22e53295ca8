"""Per-system test kits: what the shared guarantee tests need to know of one system.

A `SystemKit` says how a system's deliveries are signed and addressed (through its
connector's `Deliveries`), how to write an order or product body at version N (a higher
version carries a later modification time, so newest-wins can be checked), a deletion
body, which emulator adapter (`tests.emulators.StoreEmulator`) stands in for its store,
and the connection fields. The `system` fixture (tests/conftest.py) runs every guarantee
test once per kit whose system is registered (`stores.registry.systems()`): the next
system gets them by adding its kit here, not by copying tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import config
from stores.connector import Connector, Deliveries
from stores.registry import connector_for, is_known
from stores.shopify.client import API_VERSION
from stores.shopify.queries import ORDERS_PER_PAGE
from stores.signatures import sign
from stores.woocommerce.paging import gmt
from tests.emulators import TOPICS, ShopifyStore, StoreEmulator, WooStore
from tests.factories import FIXTURE_KEY, FIXTURE_SECRET, make_connection
from tests.fixtures import load_delivery
from tests.resolver import loopback_myshopify
from tests.shopify_emulator import ShopifyEmulator
from tests.shopify_emulator.search import encode_cursor
from tests.woo_emulator import ManualClock, WooEmulator


class SystemKit(ABC):
    """One system, as the guarantee tests drive it."""

    system: str  # Connection.external_system, and the receiver's path segment
    secret: str  # signs the kit's own deliveries; `make_connection` stores it
    access_token: str
    topic_names: Mapping[str, str]  # logical topic (tests.emulators.TOPICS and restores) -> the topic header's value
    page_size: int  # records per page of the connector's poll walks

    @property
    def connector(self) -> Connector:
        return connector_for(self.system)

    @property
    def deliveries(self) -> Deliveries:
        return self.connector.deliveries

    def path(self, connection_id: str) -> str:
        """Where the system's deliveries for a connection are posted."""
        return f"/webhooks/{self.system}/{connection_id}"

    def headers(self, topic: str, body: bytes, *, secret: str | None = None, signature: str | None = None) -> dict[str, str]:
        """The headers a store sends with `body` under a logical `topic`, signed with `secret` (or the kit's)."""
        return {
            "Content-Type": "application/json",
            **self.extra_headers(topic),
            self.deliveries.topic_header: self.topic_names[topic],
            self.deliveries.signature_header: signature if signature is not None else sign(body, secret or self.secret),
        }

    def extra_headers(self, topic: str) -> dict[str, str]:
        """Headers the system sends besides signature and topic (never deciding anything)."""
        return {}

    def has_topic(self, topic: str) -> bool:
        return topic in self.topic_names

    def make_connection(self, **fields: Any) -> str:
        """A connection row of this system signed with the kit's secret (no store behind it)."""
        return make_connection(external_system=self.system, secret=self.secret, access_token=self.access_token, **fields)

    @abstractmethod
    def order_body(self, order_id: int, version: int) -> bytes:
        """An order's body at `version`: its total is `total(version)`, later versions are newer."""

    @abstractmethod
    def product_body(self, product_id: int, version: int) -> bytes:
        """A simple product's body at `version`: its price is `total(version)`, later versions are newer."""

    @abstractmethod
    def deletion_body(self, resource: str, record_id: int | str) -> bytes:
        """What the system delivers when a record is deleted."""

    def priced_id(self, resource: str, record_id: int | str) -> str:
        """The record of a body that carries its money figure (a Shopify product's price is on its variant)."""
        return str(record_id)

    def priced_record(self, resource: str, payload: Any) -> dict:
        """The mapped record of `payload` whose external id is `priced_id`."""
        return self.connector.map_record(resource, payload)

    @staticmethod
    def total(version: int) -> str:
        """The money figure a body at `version` carries, as Storelink stores it."""
        return f"{version}.00"

    @abstractmethod
    def emulator(self, clock_start: str | None = None) -> contextlib.AbstractContextManager[StoreEmulator]:
        """A running emulator of the system's store behind the `StoreEmulator` interface.

        With `clock_start` (ISO 8601), the store's clock starts there and moves only by the adapter's `tick`.
        """

    @abstractmethod
    def captured(self, result: Any) -> tuple[str, bytes]:
        """A delivery the emulator sent (`deliver_pending`): its logical topic and its signed body."""

    @abstractmethod
    def record_reads(self, adapter: StoreEmulator, resource: str, record_id: str) -> int:
        """How often Storelink asked the store for this one record."""

    @abstractmethod
    def fail_second_page(self, adapter: StoreEmulator, entity: str, first_page: list[str], status: int) -> None:
        """Fail the poll's request for the page after `first_page` (its records' ids, oldest change first)."""

    @abstractmethod
    def modified_at(self, adapter: StoreEmulator, resource: str, record_id: str) -> str:
        """The record's modification time on the store, as Storelink's API shows times."""

    def connection_body(self, adapter: StoreEmulator, **overrides: Any) -> dict:
        """The admin API's body for a connection to the emulated store."""
        return {"name": "Test store", "external_system": self.system, "order_start": "2020-01-01",
                "warehouse": "Main", **adapter.connection_fields(), **overrides}


def _stamp(version: int) -> str:
    """A modification time (UTC, no zone) that grows with `version`."""
    return f"2026-11-27T{10 + version // 3600:02d}:{version // 60 % 60:02d}:{version % 60:02d}"


class WooCommerceKit(SystemKit):
    """WooCommerce: bodies from a real 9.9.5 capture, X-WC- headers, WooStore on WooEmulator."""

    system = "woocommerce"
    secret = FIXTURE_SECRET
    access_token = FIXTURE_KEY
    topic_names = {topic: topic for topic in (*TOPICS, "order.restored", "product.restored")}
    page_size = 100
    ORDER = load_delivery("04")  # a real order.updated delivery
    PRODUCT = load_delivery("06")  # a real product delivery of a simple product

    def extra_headers(self, topic: str) -> dict[str, str]:
        resource, event = topic.split(".")
        return {"X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event}

    def order_body(self, order_id: int, version: int) -> bytes:
        payload = {**self.ORDER.json(), "id": order_id, "number": str(order_id), "total": self.total(version),
                   "customer_note": f"version {version}", "date_modified_gmt": _stamp(version)}
        return json.dumps(payload, separators=(",", ":")).encode()

    def product_body(self, product_id: int, version: int) -> bytes:
        payload = {**self.PRODUCT.json(), "id": product_id, "price": self.total(version),
                   "regular_price": self.total(version), "date_modified_gmt": _stamp(version)}
        return json.dumps(payload, separators=(",", ":")).encode()

    def deletion_body(self, resource: str, record_id: int | str) -> bytes:
        return json.dumps({"id": int(record_id)}).encode()

    @contextlib.contextmanager
    def emulator(self, clock_start: str | None = None) -> Iterator[StoreEmulator]:
        with WooEmulator(clock=ManualClock(clock_start) if clock_start else None) as emulator:
            yield WooStore(emulator)

    def captured(self, result: Any) -> tuple[str, bytes]:
        return result.topic, result.body

    def record_reads(self, adapter: StoreEmulator, resource: str, record_id: str) -> int:
        path = f"/{resource}s/{record_id}"
        return sum(1 for request in adapter.emulator.requests if request.method == "GET" and request.path.endswith(path))

    def fail_second_page(self, adapter: StoreEmulator, entity: str, first_page: list[str], status: int) -> None:
        # The next page is asked for with modified_after = the newest change of the page before, less a second.
        newest = datetime.fromisoformat(self.modified_at(adapter, entity.removesuffix("s"), first_page[-1]))
        adapter.emulator.fail_next(urlencode({"modified_after": gmt(newest - timedelta(seconds=1))}), status)

    def modified_at(self, adapter: StoreEmulator, resource: str, record_id: str) -> str:
        read = adapter.emulator.get_order if resource == "order" else adapter.emulator.get_product
        return read(int(record_id))["date_modified_gmt"] + "Z"


class ShopifyKit(SystemKit):
    """Shopify: REST-style bodies as the emulator delivers them, X-Shopify- headers, ShopifyStore on ShopifyEmulator."""

    system = "shopify"
    secret = "shpss_kit0123456789abcdef"
    access_token = "shpat_kit0123456789abcdef"
    topic_names = {"order.created": "orders/create", "order.updated": "orders/updated", "order.deleted": "orders/delete",
                   "product.created": "products/create", "product.updated": "products/update",
                   "product.deleted": "products/delete"}  # Shopify deletes for good: no restores
    page_size = ORDERS_PER_PAGE
    VARIANT = 1_000_000  # a kit product's one variant has id product id * VARIANT + 1

    def extra_headers(self, topic: str) -> dict[str, str]:
        return {"X-Shopify-Shop-Domain": "storelink-test.myshopify.com", "X-Shopify-API-Version": API_VERSION}

    def order_body(self, order_id: int, version: int) -> bytes:
        money = {"amount": self.total(version), "currency_code": "USD"}
        payload = {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "name": f"#{order_id}",
                   "created_at": "2026-11-27T05:00:00-05:00", "updated_at": _stamp(version) + "+00:00",
                   "currency": "USD", "financial_status": "paid", "fulfillment_status": None, "note": f"version {version}",
                   "total_price": self.total(version), "total_price_set": {"shop_money": money, "presentment_money": money},
                   "line_items": [{"id": order_id * 10 + 1, "product_id": None, "variant_id": None, "title": "Thing",
                                   "quantity": 1, "price": self.total(version)}]}
        return json.dumps(payload, separators=(",", ":")).encode()

    def product_body(self, product_id: int, version: int) -> bytes:
        stamp = _stamp(version) + "+00:00"
        variant = {"id": int(self.priced_id("product", product_id)), "product_id": product_id, "title": "Default Title",
                   "sku": f"THING-{product_id}", "price": self.total(version), "compare_at_price": None,
                   "inventory_quantity": 3, "created_at": "2026-11-27T05:00:00-05:00", "updated_at": stamp}
        payload = {"id": product_id, "admin_graphql_api_id": f"gid://shopify/Product/{product_id}", "title": "Thing",
                   "status": "active", "created_at": "2026-11-27T05:00:00-05:00", "updated_at": stamp, "variants": [variant]}
        return json.dumps(payload, separators=(",", ":")).encode()

    def deletion_body(self, resource: str, record_id: int | str) -> bytes:
        return json.dumps({"id": int(record_id)}).encode()

    def priced_id(self, resource: str, record_id: int | str) -> str:
        return str(int(record_id) * self.VARIANT + 1) if resource == "product" else str(record_id)

    def priced_record(self, resource: str, payload: Any) -> dict:
        records = [self.connector.map_record(resource, item, parent)
                   for item, parent in self.connector.delivered_items(resource, payload)]
        return next(record for record in records if record["external_id"] == self.priced_id(resource, payload["id"]))

    @contextlib.contextmanager
    def emulator(self, clock_start: str | None = None) -> Iterator[StoreEmulator]:
        clock = ManualClock(clock_start) if clock_start else None
        with loopback_myshopify(), ShopifyEmulator(clock=clock, auto_deliver=False, bucket_size=10**9) as emulator:
            yield ShopifyStore(emulator)

    def captured(self, result: Any) -> tuple[str, bytes]:
        resource, event = result.topic.split("/")
        return f"{resource.removesuffix('s')}.{_EVENTS[event]}", result.body

    def record_reads(self, adapter: StoreEmulator, resource: str, record_id: str) -> int:
        gid = f"gid://shopify/{resource.capitalize()}/{record_id}"
        return sum(1 for request in adapter.emulator.requests if gid.encode() in request.body)

    def fail_second_page(self, adapter: StoreEmulator, entity: str, first_page: list[str], status: int) -> None:
        # The next page is asked for after the cursor of the first page's last record: (updated_at, id).
        with adapter.emulator.store.lock:
            last = getattr(adapter.emulator.store, entity)[int(first_page[-1])]
        adapter.emulator.fail_next(encode_cursor(last["updated_at"], last["id"]), status)

    def modified_at(self, adapter: StoreEmulator, resource: str, record_id: str) -> str:
        read = adapter.emulator.get_order if resource == "order" else adapter.emulator.get_product
        return datetime.fromisoformat(read(int(record_id))["updated_at"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_EVENTS = {"create": "created", "updated": "updated", "update": "updated", "delete": "deleted"}

# Every system's kit; a kit runs once its system is registered.
KITS: tuple[SystemKit, ...] = (WooCommerceKit(), ShopifyKit())


def registered_kits() -> list[SystemKit]:
    """The kits whose system has a connector registered."""
    return [kit for kit in KITS if is_known(kit.system)]


def trust_ca(app: Any, monkeypatch: Any, ca_file: str) -> None:
    """Have `app` and the jobs of this process trust `ca_file`, as STORE_CA_BUNDLE does (undone by `monkeypatch`)."""
    monkeypatch.setenv("STORE_CA_BUNDLE", ca_file)
    config.get_settings.cache_clear()
    resources = app.extensions["storelink"]
    trusting = resources.settings.with_overrides({"store_ca_bundle": ca_file})
    monkeypatch.setitem(app.extensions, "storelink", dataclasses.replace(resources, settings=trusting))


def kit_for(system: str) -> SystemKit:
    return next(kit for kit in KITS if kit.system == system)
