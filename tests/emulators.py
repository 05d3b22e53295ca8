"""The emulator interface the shared guarantee tests use, and one adapter per system's emulator.

Guarantee tests (nothing acknowledged lost, newest wins, duplicates absorbed, deletions and
restores, webhook healing, reconciliation) speak to a `StoreEmulator`: they make records change
in the store, let its webhooks go out, break a webhook, inject faults, and hand Storelink the
connection fields. Each system's emulator gets a small adapter here; the emulators themselves
stay as they are. Record ids are strings, as Storelink stores them (`external_id`).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from tests.shopify_emulator import App, ManualClock, ShopifyEmulator
from tests.woo_emulator import WooEmulator

# Logical topics, the same for every system.
TOPICS = ("order.created", "order.updated", "order.deleted", "product.created", "product.updated", "product.deleted")
# Logical fault targets: what kind of call fails ("token": the token grant, where a system has one).
FAULT_TARGETS = ("orders", "products", "webhooks", "verify", "token")


@runtime_checkable
class StoreEmulator(Protocol):
    """What a guarantee test may do to a store, whatever the system."""

    system: str  # Connection.external_system
    has_restore: bool  # whether deleted records can come back (WooCommerce's trash)

    @property
    def base_url(self) -> str: ...

    @property
    def ca_file(self) -> str | None: ...

    def connection_fields(self) -> dict[str, str]:
        """The operator form's api_url, access_token and secret for this store."""

    def create_order(self) -> str: ...

    def change_order(self, order_id: str) -> None:
        """A change the store stamps as newer (its updated time moves)."""

    def delete_order(self, order_id: str) -> None: ...

    def restore_order(self, order_id: str) -> None:
        """Bring a deleted order back; NotImplementedError where the system cannot (`has_restore`)."""

    def order_ids(self) -> set[str]:
        """The orders the store has now (deleted ones excluded)."""

    def create_product(self, variants: int = 0) -> str: ...

    def change_product(self, product_id: str) -> None: ...

    def delete_product(self, product_id: str) -> None: ...

    def deliver_pending(self) -> list[Any]:
        """Send the webhooks waiting to go out; the results (each with `.success`)."""

    def webhook_count(self) -> int:
        """Webhooks the store would deliver to right now."""

    def break_webhook(self, topic: str) -> None:
        """Make the store stop delivering one logical topic, as it does after repeated failures."""

    def fail_next(self, target: str, status: int, count: int = 1, retry_after: int | None = None) -> None:
        """Fail the next `count` calls of a kind (FAULT_TARGETS) with `status`; ValueError if the system has none."""

    def tick(self, seconds: float = 1) -> None:
        """Move the store's clock on, when it runs on a ManualClock (record times are whole seconds)."""


class WooStore:
    """WooEmulator behind the interface (deletion = the trash, so orders can be restored)."""

    system = "woocommerce"
    has_restore = True
    FAULTS = {"orders": "/orders", "products": "/products", "webhooks": "/webhooks", "verify": "system_status"}

    def __init__(self, emulator: WooEmulator):
        self.emulator = emulator
        self.key, self.secret = emulator.new_key()
        self._changes = 0

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def ca_file(self) -> str | None:
        return self.emulator.ca_file

    def connection_fields(self) -> dict[str, str]:
        return {"api_url": self.emulator.base_url, "access_token": self.key, "secret": self.secret}

    def create_order(self) -> str:
        return str(self.emulator.create_order(
            line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}])["id"])

    def change_order(self, order_id: str) -> None:
        self._changes += 1
        self.emulator.update_order(int(order_id), customer_note=f"change {self._changes}")

    def delete_order(self, order_id: str) -> None:
        self.emulator.trash_order(int(order_id))

    def restore_order(self, order_id: str) -> None:
        self.emulator.restore_order(int(order_id))

    def order_ids(self) -> set[str]:
        with self.emulator.store.lock:
            return {str(i) for i, o in self.emulator.store.orders.items() if o["status"] != "trash"}

    def create_product(self, variants: int = 0) -> str:
        if not variants:
            return str(self.emulator.create_product(name="Thing", regular_price="5.00")["id"])
        product = self.emulator.create_variable_product(
            "Thing", {"Size": [f"S{n}" for n in range(variants)]},
            [{"attributes": {"Size": f"S{n}"}, "regular_price": "5.00"} for n in range(variants)])
        return str(product["id"])

    def change_product(self, product_id: str) -> None:
        self._changes += 1
        self.emulator.update_product(int(product_id), description=f"change {self._changes}")

    def delete_product(self, product_id: str) -> None:
        self.emulator.trash_product(int(product_id))

    def deliver_pending(self) -> list[Any]:
        return self.emulator.run_cron()

    def webhook_count(self) -> int:
        return sum(1 for hook in self.emulator.webhooks.items.values() if hook.status == "active")

    def break_webhook(self, topic: str) -> None:
        hook = next(h for h in self.emulator.webhooks.items.values() if h.topic == topic and h.status == "active")
        self.emulator.set_webhook_status(hook.id, "disabled")  # what 7 failed deliveries in a row do

    def fail_next(self, target: str, status: int, count: int = 1, retry_after: int | None = None) -> None:
        self.emulator.fail_next(_fault_path(self, target), status, count=count, retry_after=retry_after)

    def tick(self, seconds: float = 1) -> None:
        _tick(self.emulator.clock, seconds)


class ShopifyStore:
    """ShopifyEmulator behind the interface, as a legacy app (shpat_ token) or a Dev Dashboard app."""

    system = "shopify"
    has_restore = False  # Shopify deletes orders and products for good
    TOPICS = dict(zip(TOPICS, ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_DELETE", "PRODUCTS_CREATE",
                               "PRODUCTS_UPDATE", "PRODUCTS_DELETE")))
    FAULTS = {"orders": "orders(", "products": "products(", "webhooks": "webhookSubscription",
              "verify": "currentAppInstallation", "token": "/admin/oauth/access_token"}

    def __init__(self, emulator: ShopifyEmulator, app: App | None = None, kind: str = "legacy"):
        self.emulator = emulator
        scopes = ["read_orders", "read_products", "read_all_orders"]
        self.app = app or (emulator.create_legacy_app(scopes) if kind == "legacy" else emulator.create_dev_app(scopes))
        self._changes = 0

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def ca_file(self) -> str | None:
        return self.emulator.ca_file

    def connection_fields(self) -> dict[str, str]:
        # A Dev Dashboard app has no token to paste: its Client ID goes in Access token.
        token = self.app.access_token if self.app.kind == "legacy" else self.app.client_id
        return {"api_url": self.emulator.base_url, "access_token": token, "secret": self.app.secret}

    def create_order(self) -> str:
        return str(self.emulator.create_order(line_items=[{"title": "Thing", "price": "5.00", "quantity": 1}])["id"])

    def change_order(self, order_id: str) -> None:
        self._changes += 1
        self.emulator.update_order(int(order_id), note=f"change {self._changes}")

    def delete_order(self, order_id: str) -> None:
        self.emulator.delete_order(int(order_id))

    def restore_order(self, order_id: str) -> None:
        raise NotImplementedError("Shopify has no restore for deleted orders")

    def order_ids(self) -> set[str]:
        with self.emulator.store.lock:
            return {str(i) for i in self.emulator.store.orders}

    def create_product(self, variants: int = 0) -> str:
        shaped = [{"sku": f"THING-{n}", "price": "5.00", "option1": f"S{n}"} for n in range(variants)] or None
        return str(self.emulator.create_product(title="Thing", variants=shaped)["id"])

    def change_product(self, product_id: str) -> None:
        self._changes += 1
        self.emulator.update_product(int(product_id), body_html=f"change {self._changes}")

    def delete_product(self, product_id: str) -> None:
        self.emulator.delete_product(int(product_id))

    def deliver_pending(self) -> list[Any]:
        return self.emulator.deliver_pending()

    def webhook_count(self) -> int:
        return len(self.emulator.subscriptions(self.app))

    def break_webhook(self, topic: str) -> None:
        subscription = next(s for s in self.emulator.subscriptions(self.app) if s.topic == self.TOPICS[topic])
        self.emulator.webhooks.remove(subscription.id)  # what 8 failed deliveries in a row do
        self.emulator.webhooks.removed.append(subscription)

    def fail_next(self, target: str, status: int, count: int = 1, retry_after: int | None = None) -> None:
        self.emulator.fail_next(_fault_path(self, target), status, count=count, retry_after=retry_after)

    def tick(self, seconds: float = 1) -> None:
        _tick(self.emulator.clock, seconds)


def _fault_path(adapter: WooStore | ShopifyStore, target: str) -> str:
    """What the emulator's fail_next matches for a logical target."""
    try:
        return adapter.FAULTS[target]
    except KeyError:
        raise ValueError(f"{adapter.system} has no {target!r} calls to fail (targets: {sorted(adapter.FAULTS)})") from None


def _tick(clock: Any, seconds: float) -> None:
    if isinstance(clock, ManualClock):
        clock.advance(seconds)
