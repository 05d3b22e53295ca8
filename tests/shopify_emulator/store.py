"""The shop's state: orders, products and variants, id sequences, the clock, and the events changes raise.

Records are kept in Shopify's REST shape (snake_case, numeric ids, Unix times); `rest.py` and
`graph.py` turn them into webhook payloads and GraphQL objects.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from .values import handleize, money, to_timestamp

# Ids start high, as a real shop's do (64-bit numbers), one sequence per kind of record.
FIRST_IDS = {
    "order": 5_678_901_234_001, "product": 8_012_345_678_001, "variant": 44_123_456_789_001,
    "line_item": 13_579_246_801_001, "inventory_item": 46_246_813_579_001, "customer": 7_070_707_070_001,
}
FIRST_ORDER_NUMBER = 1001
FINANCIAL_STATUSES = ("pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided", "expired")
FULFILLMENT_STATUSES = (None, "partial", "fulfilled", "restocked")
PRODUCT_STATUSES = ("active", "draft", "archived", "unlisted")

# (topic as in X-Shopify-Topic, record snapshot or {"id": N} for deletions)
Listener = Callable[[str, dict[str, Any]], None]


class Store:
    """Records and sequences, guarded by one lock; every change tells the listeners."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.lock = threading.RLock()
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.listeners: list[Listener] = []
        self._next = dict(FIRST_IDS)
        self._next_number = FIRST_ORDER_NUMBER
        # Shopify sends orders/updated right after orders/create in practice; a knob.
        self.updated_after_create = False

    def now(self) -> int:
        """The shop's current time, in whole seconds as Shopify stores it."""
        return int(self.clock())

    def next_id(self, kind: str) -> int:
        """The next id of a kind of record."""
        with self.lock:
            value = self._next[kind]
            self._next[kind] += 1
            return value

    def emit(self, topic: str, record: dict[str, Any]) -> None:
        """Tell the listeners (webhooks) about a change, with a snapshot of the record."""
        snapshot = copy.deepcopy(record)
        for listener in list(self.listeners):
            listener(topic, snapshot)

    # -- variants -----------------------------------------------------------------------

    def find_variant(self, variant_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(product, variant) for a variant id, or None."""
        for product in self.products.values():
            for variant in product["variants"]:
                if variant["id"] == variant_id:
                    return product, variant
        return None

    def _variant(self, product_id: int, position: int, fields: dict[str, Any], now: int) -> dict[str, Any]:
        options = [fields.pop(f"option{n}", None) for n in (1, 2, 3)]
        title = fields.pop("title", None) or " / ".join(o for o in options if o) or "Default Title"
        variant = {
            "id": fields.pop("id", None) or self.next_id("variant"),
            "product_id": product_id,
            "title": title,
            "sku": fields.pop("sku", None),
            "barcode": fields.pop("barcode", None),
            "price": money(fields.pop("price", "0")),
            "compare_at_price": None,
            "position": position,
            "inventory_quantity": int(fields.pop("inventory_quantity", 0)),
            "inventory_item_id": self.next_id("inventory_item"),
            "taxable": bool(fields.pop("taxable", True)),
            "option1": options[0] or (title if title == "Default Title" else None),
            "option2": options[1],
            "option3": options[2],
            "created_at": now,
            "updated_at": now,
        }
        compare = fields.pop("compare_at_price", None)
        variant["compare_at_price"] = money(compare) if compare is not None else None
        if fields:
            raise TypeError(f"unknown variant fields: {sorted(fields)}")
        return variant

    # -- products -------------------------------------------------------------------------

    def create_product(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A product with its variants (at least one, "Default Title" when none are given)."""
        fields = dict(fields)
        with self.lock:
            now = self.now()
            created = int(to_timestamp(fields.pop("created_at"))) if "created_at" in fields else now
            product_id = fields.pop("id", None) or self.next_id("product")
            title = fields.pop("title", "Product")
            variants_in = [dict(v) for v in (fields.pop("variants", None) or [{}])]
            status = fields.pop("status", "active")
            if status not in PRODUCT_STATUSES:
                raise ValueError(f"status must be one of {PRODUCT_STATUSES}")
            product = {
                "id": product_id,
                "title": title,
                "handle": fields.pop("handle", None) or handleize(title),
                "body_html": fields.pop("body_html", ""),
                "vendor": fields.pop("vendor", "Storelink test shop"),
                "product_type": fields.pop("product_type", ""),
                "status": status,
                "tags": list(fields.pop("tags", [])),
                "created_at": created,
                "updated_at": created,
                "published_at": created if status == "active" else None,
                "variants": [],
            }
            if fields:
                raise TypeError(f"unknown product fields: {sorted(fields)}")
            product["variants"] = [self._variant(product_id, n, v, created) for n, v in enumerate(variants_in, 1)]
            self.products[product_id] = product
            self.emit("products/create", product)
            return product

    def update_product(self, product_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change product fields; `variants` (a list) replaces the variants."""
        fields = dict(fields)
        with self.lock:
            product = self.products[product_id]
            now = self.now()
            if "variants" in fields:
                product["variants"] = [self._variant(product_id, n, dict(v), now)
                                       for n, v in enumerate(fields.pop("variants"), 1)]
            for key, value in fields.items():
                if key not in product or key in ("id", "created_at", "variants"):
                    raise TypeError(f"unknown or read-only product field: {key}")
                product[key] = value
            product["updated_at"] = now
            self.emit("products/update", product)
            return product

    def update_variant(self, variant_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change one variant; its product is updated too (products/update)."""
        with self.lock:
            found = self.find_variant(variant_id)
            if found is None:
                raise KeyError(variant_id)
            product, variant = found
            for key, value in fields.items():
                if key not in variant or key in ("id", "product_id", "created_at"):
                    raise TypeError(f"unknown or read-only variant field: {key}")
                variant[key] = money(value) if key in ("price", "compare_at_price") and value is not None else value
            variant["updated_at"] = product["updated_at"] = self.now()
            self.emit("products/update", product)
            return product

    def delete_product(self, product_id: int) -> None:
        """Delete a product and its variants (products/delete with the id only)."""
        with self.lock:
            del self.products[product_id]
            self.emit("products/delete", {"id": product_id})

    # -- orders ---------------------------------------------------------------------------

    def _line_item(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        variant_id = fields.pop("variant_id", None)
        product_id, title, sku, price, variant_title = fields.pop("product_id", None), "Item", None, "0", None
        if variant_id is not None:
            found = self.find_variant(variant_id)
            if found is None:
                raise KeyError(f"no variant {variant_id}")
            product, variant = found
            product_id, title, sku, price = product["id"], product["title"], variant["sku"], variant["price"]
            variant_title = None if variant["title"] == "Default Title" else variant["title"]
        item = {
            "id": self.next_id("line_item"),
            "product_id": product_id,
            "variant_id": variant_id,
            "title": fields.pop("title", title),
            "variant_title": variant_title,
            "sku": fields.pop("sku", sku),
            "quantity": int(fields.pop("quantity", 1)),
            "price": money(fields.pop("price", price)),
        }
        item["name"] = item["title"] + (f" - {variant_title}" if variant_title else "")
        if fields:
            raise TypeError(f"unknown line item fields: {sorted(fields)}")
        return item

    def create_order(self, fields: dict[str, Any]) -> dict[str, Any]:
        """An order; line items may name a variant_id (title, sku, price come from the variant)."""
        fields = dict(fields)
        with self.lock:
            now = self.now()
            created = int(to_timestamp(fields.pop("created_at"))) if "created_at" in fields else now
            number = self._next_number
            self._next_number += 1
            order = {
                "id": fields.pop("id", None) or self.next_id("order"),
                "name": f"#{number}",
                "order_number": number,
                "email": "buyer@example.com",
                "phone": None,
                "note": None,
                "tags": [],
                "test": False,
                "confirmed": True,
                "created_at": created,
                "updated_at": created,
                "processed_at": created,
                "cancelled_at": None,
                "cancel_reason": None,
                "closed_at": None,
                "currency": None,  # the shop's, filled by the emulator
                "presentment_currency": None,
                "exchange_rate": "1",
                "financial_status": "paid",
                "fulfillment_status": None,
                "shipping_price": "0.00",
                "total_tax": "0.00",
                "total_discounts": "0.00",
                "customer": None,
                "billing_address": None,
                "shipping_address": None,
                "line_items": [],
            }
            order["line_items"] = [self._line_item(item) for item in fields.pop("line_items", [])]
            self._apply_order_fields(order, fields)
            self.orders[order["id"]] = order
            self.emit("orders/create", order)
            if self.updated_after_create:
                self.emit("orders/updated", order)
            return order

    def _apply_order_fields(self, order: dict[str, Any], fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            if key not in order or key in ("id", "created_at", "updated_at", "line_items", "order_number", "name"):
                raise TypeError(f"unknown or read-only order field: {key}")
            if key == "financial_status" and value not in FINANCIAL_STATUSES:
                raise ValueError(f"financial_status must be one of {FINANCIAL_STATUSES}")
            if key == "fulfillment_status" and value not in FULFILLMENT_STATUSES:
                raise ValueError(f"fulfillment_status must be one of {FULFILLMENT_STATUSES}")
            if key in ("cancelled_at", "closed_at", "processed_at") and value is not None:
                value = int(to_timestamp(value))
            if key in ("shipping_price", "total_tax", "total_discounts"):
                value = money(value)
            order[key] = value
        if order["customer"] is not None and "id" not in order["customer"]:
            order["customer"] = {"id": self.next_id("customer"), **order["customer"]}

    def update_order(self, order_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change an order (orders/updated; orders/cancelled, orders/paid, orders/fulfilled as they happen)."""
        with self.lock:
            order = self.orders[order_id]
            before = dict(order)
            if "line_items" in fields:
                fields = dict(fields)
                order["line_items"] = [self._line_item(item) for item in fields.pop("line_items")]
            self._apply_order_fields(order, fields)
            order["updated_at"] = self.now()
            self.emit("orders/updated", order)
            if order["cancelled_at"] and not before["cancelled_at"]:
                self.emit("orders/cancelled", order)
            if order["financial_status"] == "paid" and before["financial_status"] != "paid":
                self.emit("orders/paid", order)
            if order["fulfillment_status"] == "fulfilled" and before["fulfillment_status"] != "fulfilled":
                self.emit("orders/fulfilled", order)
            return order

    def delete_order(self, order_id: int) -> None:
        """Delete an order for good (orders/delete with the id only); Shopify has no restore."""
        with self.lock:
            del self.orders[order_id]
            self.emit("orders/delete", {"id": order_id})
