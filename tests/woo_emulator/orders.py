"""Orders: statuses and their side effects (payment dates, stock, sales), totals, and the JSON shape."""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

from . import products
from .errors import RestError, invalid_id
from .store import SELF_ALLOW, WC_VERSION, Store, Urls, money, parse_moment

STATUSES = (
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft", "auto-draft",
)
PAID_STATUSES = ("processing", "completed")
# WooCommerce reduces stock when an order reaches one of these, and gives it back on the others.
REDUCE_STOCK_STATUSES = ("processing", "completed", "on-hold")
RESTORE_STOCK_STATUSES = ("cancelled", "pending")
EDITABLE_STATUSES = ("pending", "on-hold", "auto-draft")
NEEDS_PAYMENT_STATUSES = ("pending", "failed")
ADDRESS_FIELDS = (
    "first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country",
)
BILLING_FIELDS = (*ADDRESS_FIELDS, "email", "phone")
SHIPPING_FIELDS = (*ADDRESS_FIELDS, "phone")
SIMPLE_FIELDS = (
    "parent_id", "currency", "customer_id", "customer_note", "payment_method", "payment_method_title",
    "transaction_id", "customer_ip_address", "customer_user_agent", "created_via", "cart_hash",
)
# Accepted by the REST schema, without effect here.
IGNORED_FIELDS = ("manual_update", "number", "order_key", "prices_include_tax", "version")


def _order_key() -> str:
    """A key like wc_order_T5u8TLrKLd7zJ."""
    alphabet = string.ascii_letters + string.digits
    return "wc_order_" + "".join(secrets.choice(alphabet) for _ in range(13))


def get_order(store: Store, order_id: Any) -> dict[str, Any]:
    """An order by id, or the REST 404."""
    try:
        record = store.orders.get(int(order_id))
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise invalid_id("shop_order")
    return record


def create_order(store: Store, fields: dict[str, Any]) -> dict[str, Any]:
    """Create an order; raises order.created and order.updated (plus stock changes for paid statuses)."""
    with store.lock:
        fields = dict(fields)
        now = store.now()
        record: dict[str, Any] = {
            "id": store.next_id("post", fields.pop("id", None)),
            "parent_id": 0,
            "status": "pending",
            "currency": store.currency,
            "customer_id": 0,
            "customer_note": "",
            "payment_method": "",
            "payment_method_title": "",
            "transaction_id": "",
            "customer_ip_address": "",
            "customer_user_agent": "",
            "created_via": "rest-api",
            "cart_hash": "",
            "order_key": fields.pop("order_key", None) or _order_key(),
            "billing": {name: "" for name in BILLING_FIELDS},
            "shipping": {name: "" for name in SHIPPING_FIELDS},
            "meta_data": [],
            "line_items": [],
            "shipping_lines": [],
            "fee_lines": [],
            "coupon_lines": [],
            "refunds": [],
            "created": now,
            "modified": now,
            "paid": None,
            "completed": None,
            "sales_recorded": False,
            "total_override": None,
            "pre_trash_status": None,
        }
        status = fields.pop("status", "pending")
        set_paid = bool(fields.pop("set_paid", False))
        _apply(store, record, fields)
        store.orders[record["id"]] = record
        _set_status(store, record, status, from_status="pending")
        if set_paid:
            _payment_complete(store, record)
        store.emit("order", "created", record["id"])
        store.emit("order", "updated", record["id"])
        return record


def update_order(store: Store, order_id: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """Change an order; raises order.updated."""
    with store.lock:
        record = get_order(store, order_id)
        fields = dict(fields)
        status = fields.pop("status", None)
        set_paid = bool(fields.pop("set_paid", False))
        _apply(store, record, fields)
        if status is not None and status != record["status"]:
            _set_status(store, record, status, from_status=record["status"])
        if set_paid:
            _payment_complete(store, record)
        record["modified"] = store.now()
        store.emit("order", "updated", record["id"])
        return record


def trash_order(store: Store, order_id: Any) -> dict[str, Any]:
    """Move to the trash; raises order.deleted (its body is only the id)."""
    with store.lock:
        record = get_order(store, order_id)
        if record["status"] == "trash":
            raise RestError("woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410)
        record["pre_trash_status"] = record["status"]
        record["status"] = "trash"
        record["modified"] = store.now()
        store.emit("order", "deleted", record["id"])
        return record


def restore_order(store: Store, order_id: Any) -> dict[str, Any]:
    """Take out of the trash to its earlier status; raises order.restored."""
    with store.lock:
        record = get_order(store, order_id)
        if record["status"] != "trash":
            return record
        record["status"] = record["pre_trash_status"] or "pending"
        record["pre_trash_status"] = None
        record["modified"] = store.now()
        store.emit("order", "restored", record["id"])
        return record


def force_delete_order(store: Store, order_id: Any) -> dict[str, Any]:
    """Delete for good; WooCommerce sends no webhook for this."""
    with store.lock:
        record = get_order(store, order_id)
        del store.orders[record["id"]]
        return record


def refund_order(store: Store, order_id: Any, amount: Any, reason: str = "") -> dict[str, Any]:
    """Record a refund; a full refund marks the order refunded. Raises order.updated of the order."""
    with store.lock:
        record = get_order(store, order_id)
        refund_id = store.next_id("post")
        record["refunds"].insert(0, {"id": refund_id, "reason": reason, "total": store.money_text(-money(amount))})
        refunded = sum((-money(entry["total"]) for entry in record["refunds"]), Decimal(0))
        if refunded >= _totals(record)["total"] and record["status"] != "refunded":
            _set_status(store, record, "refunded", from_status=record["status"])
        record["modified"] = store.now()
        store.emit("order", "updated", record["id"])
        return record


def _apply(store: Store, record: dict[str, Any], fields: dict[str, Any]) -> None:
    """Set the given fields, in WooCommerce's terms."""
    for name in SIMPLE_FIELDS:
        if name in fields:
            record[name] = fields.pop(name)
    for address, names in (("billing", BILLING_FIELDS), ("shipping", SHIPPING_FIELDS)):
        if address in fields:
            for name, value in (fields.pop(address) or {}).items():
                if name in names:
                    record[address][name] = value
    if "date_created" in fields or "date_created_gmt" in fields:
        gmt = "date_created_gmt" in fields
        record["created"] = parse_moment(store, fields.pop("date_created_gmt" if gmt else "date_created"), gmt)
        fields.pop("date_created", None)
    for name in ("date_paid", "date_completed"):
        if name in fields:
            value = fields.pop(name)
            record[name.removeprefix("date_")] = None if value is None else parse_moment(store, value, False)
    if "total" in fields:
        record["total_override"] = money(fields.pop("total"))
    if "meta_data" in fields:
        record["meta_data"] = store.meta_list(fields.pop("meta_data"))
    for name, build in ITEM_BUILDERS.items():
        if name in fields:
            _merge_items(store, record[name], fields.pop(name) or [], build)
    for name in IGNORED_FIELDS:
        fields.pop(name, None)
    if fields:
        raise ValueError(f"unknown order field(s): {', '.join(fields)}")


def _merge_items(store: Store, existing: list[dict[str, Any]], posted: list[dict[str, Any]], build) -> None:
    """WooCommerce item semantics: an id updates (quantity 0 removes), no id adds."""
    by_id = {item["id"]: item for item in existing}
    for entry in posted:
        item = by_id.get(entry.get("id"))
        if item is None:
            existing.append(build(store, dict(entry), None))
        elif "quantity" in entry and int(entry["quantity"]) == 0:
            existing.remove(item)
        else:
            item.update(build(store, dict(entry), item))


def _line_item(store: Store, entry: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A line item from REST input (new, or changes to `item`): the product fills in name, SKU, price."""
    known = item or {}
    product_ref = next(
        (ref for ref in (entry.get("variation_id"), entry.get("product_id"), known.get("variation_id"),
                         known.get("product_id")) if ref),
        None,
    )
    product = store.products.get(int(product_ref)) if product_ref else None
    if product is None and entry.get("sku"):
        product = next((p for p in store.products.values() if p.get("sku") == entry["sku"]), None)
    if product_ref and product is None and item is None:
        raise RestError("woocommerce_rest_invalid_product_id", "Product ID provided is invalid.", 400)
    quantity = int(entry.get("quantity", known.get("quantity", 1)))
    described = {"name": "", "product_id": 0, "variation_id": 0, "sku": "", "parent_name": None}
    if product is not None:
        parent = store.products.get(product["parent_id"]) if product["kind"] == "variation" else None
        described = {
            "name": products.product_name(store, product),
            "product_id": parent["id"] if parent else product["id"],
            "variation_id": product["id"] if parent else 0,
            "sku": product["sku"],
            "parent_name": parent["name"] if parent else None,
        }
    if entry.get("price") is not None:
        unit = money(entry["price"])
    elif product is not None:
        unit = money(products.active_price(store, product))
    else:
        unit = known["total"] / known["quantity"] if known.get("quantity") else Decimal(0)
    if item is None or "quantity" in entry:
        subtotal = money(entry["subtotal"]) if "subtotal" in entry else unit * quantity
        total = money(entry["total"]) if "total" in entry else subtotal
    else:
        subtotal = money(entry["subtotal"]) if "subtotal" in entry else known["subtotal"]
        total = money(entry["total"]) if "total" in entry else known["total"]
    return {
        "id": known["id"] if item else store.next_id("item", entry.get("id")),
        "name": entry.get("name") or known.get("name") or described["name"],
        "product_id": described["product_id"] if product else known.get("product_id", 0),
        "variation_id": described["variation_id"] if product else known.get("variation_id", 0),
        "quantity": quantity,
        "tax_class": entry.get("tax_class", known.get("tax_class", "")),
        "subtotal": subtotal,
        "total": total,
        "meta_data": known["meta_data"] if item else store.meta_list(entry.get("meta_data")),
        "sku": entry.get("sku") or known.get("sku") or described["sku"],
        "parent_name": described["parent_name"] if product else known.get("parent_name"),
        "reduced_stock": known.get("reduced_stock", 0),
    }


def _shipping_line(store: Store, entry: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A shipping line from REST input."""
    entry = {**(item or {}), **entry}
    return {
        "id": item["id"] if item else store.next_id("item", entry.get("id")),
        "method_title": entry.get("method_title", ""),
        "method_id": entry.get("method_id", ""),
        "instance_id": str(entry.get("instance_id", "")),
        "total": money(entry.get("total")),
        "meta_data": [],
    }


def _fee_line(store: Store, entry: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A fee line from REST input."""
    entry = {**(item or {}), **entry}
    return {
        "id": item["id"] if item else store.next_id("item", entry.get("id")),
        "name": entry.get("name", ""),
        "tax_class": entry.get("tax_class", ""),
        "tax_status": entry.get("tax_status", "taxable"),
        "total": money(entry.get("total")),
        "meta_data": [],
    }


def _coupon_line(store: Store, entry: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A coupon line from REST input (the discount itself is on the line items)."""
    entry = {**(item or {}), **entry}
    return {
        "id": item["id"] if item else store.next_id("item", entry.get("id")),
        "code": entry.get("code", ""),
        "discount": money(entry.get("discount")),
        "meta_data": [],
    }


ITEM_BUILDERS = {
    "line_items": _line_item,
    "shipping_lines": _shipping_line,
    "fee_lines": _fee_line,
    "coupon_lines": _coupon_line,
}


def _set_status(store: Store, record: dict[str, Any], status: str, from_status: str) -> None:
    """Change status with WooCommerce's side effects: paid/completed dates, stock, sales counts."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    record["status"] = status
    if status in PAID_STATUSES and record["paid"] is None:
        record["paid"] = store.now()
    if status == "completed" and from_status != "completed":
        record["completed"] = store.now()
    if status in REDUCE_STOCK_STATUSES:
        _reduce_stock(store, record)
        _record_sales(store, record)
    elif status in RESTORE_STOCK_STATUSES:
        _restore_stock(store, record)


def _payment_complete(store: Store, record: dict[str, Any]) -> None:
    """set_paid: processing (completed when nothing needs processing), paid now."""
    if record["status"] in ("pending", "failed", "on-hold", "cancelled", "checkout-draft"):
        target = "processing" if _needs_processing(store, record) else "completed"
        _set_status(store, record, target, from_status=record["status"])
    if record["paid"] is None:
        record["paid"] = store.now()


def _reduce_stock(store: Store, record: dict[str, Any]) -> None:
    """Take ordered units off stock-managed products and note it on each line item."""
    for item in record["line_items"]:
        product_id = item["variation_id"] or item["product_id"]
        product = store.products.get(product_id)
        if product is None or not product["manage_stock"] or item["reduced_stock"]:
            continue
        products.change_stock(store, product_id, -item["quantity"])
        item["reduced_stock"] = item["quantity"]
        item["meta_data"].append({"id": store.next_id("meta"), "key": "_reduced_stock", "value": str(item["quantity"])})


def _restore_stock(store: Store, record: dict[str, Any]) -> None:
    """Give back what _reduce_stock took."""
    for item in record["line_items"]:
        if not item["reduced_stock"]:
            continue
        products.change_stock(store, item["variation_id"] or item["product_id"], item["reduced_stock"])
        item["reduced_stock"] = 0
        item["meta_data"] = [entry for entry in item["meta_data"] if entry["key"] != "_reduced_stock"]


def _record_sales(store: Store, record: dict[str, Any]) -> None:
    """Count each order's units in total_sales once."""
    if record["sales_recorded"]:
        return
    record["sales_recorded"] = True
    for item in record["line_items"]:
        products.record_sale(store, item["product_id"], item["quantity"])


def _needs_processing(store: Store, record: dict[str, Any]) -> bool:
    """Anything that is not both virtual and downloadable needs processing."""
    for item in record["line_items"]:
        product = store.products.get(item["variation_id"] or item["product_id"])
        if product is not None and not (product["virtual"] and product["downloadable"]):
            return True
    return False


def _totals(record: dict[str, Any]) -> dict[str, Decimal]:
    """Order totals from its lines (no taxes are calculated)."""
    lines = sum((item["total"] for item in record["line_items"]), Decimal(0))
    discount = sum((item["subtotal"] - item["total"] for item in record["line_items"]), Decimal(0))
    shipping = sum((line["total"] for line in record["shipping_lines"]), Decimal(0))
    fees = sum((line["total"] for line in record["fee_lines"]), Decimal(0))
    total = record["total_override"] if record["total_override"] is not None else lines + shipping + fees
    return {"total": total, "discount": discount, "shipping": shipping}


def _meta_json(entries: list[dict[str, Any]], display: bool) -> list[dict[str, Any]]:
    """meta_data entries; line items also carry display_key/display_value."""
    shaped = []
    for entry in entries:
        item = {"id": entry["id"], "key": entry["key"], "value": entry["value"]}
        if display:
            item.update(display_key=entry["key"], display_value=entry["value"])
        shaped.append(item)
    return shaped


def _price(item: dict[str, Any]) -> float | int:
    """The line item's `price`: total divided by quantity, a JSON number."""
    if not item["quantity"]:
        return 0
    return float(item["total"]) / item["quantity"]


def order_json(store: Store, record: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """The /wc/v3/orders/<id> shape, which order webhooks also carry."""
    totals = _totals(record)
    zero = store.money_text(Decimal(0))
    needs_payment = record["status"] in NEEDS_PAYMENT_STATUSES and totals["total"] > 0
    data = {
        "id": record["id"],
        "parent_id": record["parent_id"],
        "status": record["status"],
        "currency": record["currency"],
        "version": WC_VERSION,
        "prices_include_tax": False,
        "date_created": store.local(record["created"]),
        "date_modified": store.local(record["modified"]),
        "discount_total": store.money_text(totals["discount"]),
        "discount_tax": zero,
        "shipping_total": store.money_text(totals["shipping"]),
        "shipping_tax": zero,
        "cart_tax": zero,
        "total": store.money_text(totals["total"]),
        "total_tax": zero,
        "customer_id": record["customer_id"],
        "order_key": record["order_key"],
        "billing": dict(record["billing"]),
        "shipping": dict(record["shipping"]),
        "payment_method": record["payment_method"],
        "payment_method_title": record["payment_method_title"],
        "transaction_id": record["transaction_id"],
        "customer_ip_address": record["customer_ip_address"],
        "customer_user_agent": record["customer_user_agent"],
        "created_via": record["created_via"],
        "customer_note": record["customer_note"],
        "date_completed": store.local(record["completed"]),
        "date_paid": store.local(record["paid"]),
        "cart_hash": record["cart_hash"],
        "number": str(record["id"]),
        "meta_data": _meta_json(record["meta_data"], display=False),
        "line_items": [_line_item_json(store, item) for item in record["line_items"]],
        "tax_lines": [],
        "shipping_lines": [
            {
                "id": line["id"], "method_title": line["method_title"], "method_id": line["method_id"],
                "instance_id": line["instance_id"], "total": store.money_text(line["total"]), "total_tax": zero,
                "taxes": [], "tax_status": "taxable", "meta_data": [],
            }
            for line in record["shipping_lines"]
        ],
        "fee_lines": [
            {
                "id": line["id"], "name": line["name"], "tax_class": line["tax_class"],
                "tax_status": line["tax_status"], "amount": store.money_text(line["total"]),
                "total": store.money_text(line["total"]), "total_tax": zero, "taxes": [], "meta_data": [],
            }
            for line in record["fee_lines"]
        ],
        "coupon_lines": [
            {
                "id": line["id"], "code": line["code"], "discount": store.money_text(line["discount"]),
                "discount_tax": zero, "meta_data": [],
            }
            for line in record["coupon_lines"]
        ],
        "refunds": [dict(entry) for entry in record["refunds"]],
        "payment_url": f"{urls.home}/checkout/order-pay/{record['id']}/?pay_for_order=true&key={record['order_key']}",
        "is_editable": record["status"] in EDITABLE_STATUSES,
        "needs_payment": needs_payment,
        "needs_processing": _needs_processing(store, record),
        "date_created_gmt": store.gmt(record["created"]),
        "date_modified_gmt": store.gmt(record["modified"]),
        "date_completed_gmt": store.gmt(record["completed"]),
        "date_paid_gmt": store.gmt(record["paid"]),
        "currency_symbol": store.currency_symbol(record["currency"])[0],
    }
    route = f"/wc/v3/orders/{record['id']}"
    links: dict[str, Any] = {
        "self": [{"href": urls.rest(route), "targetHints": {"allow": list(SELF_ALLOW)}}],
        "collection": [{"href": urls.rest("/wc/v3/orders")}],
        "email_templates": [{"embeddable": True, "href": urls.rest(f"{route}/actions/email_templates")}],
    }
    if record["customer_id"]:
        links["customer"] = [{"href": urls.rest(f"/wc/v3/customers/{record['customer_id']}")}]
    if record["parent_id"]:
        links["up"] = [{"href": urls.rest(f"/wc/v3/orders/{record['parent_id']}")}]
    data["_links"] = links
    return data


def _line_item_json(store: Store, item: dict[str, Any]) -> dict[str, Any]:
    """One line item as the REST API shows it."""
    zero = store.money_text(Decimal(0))
    return {
        "id": item["id"],
        "name": item["name"],
        "product_id": item["product_id"],
        "variation_id": item["variation_id"],
        "quantity": item["quantity"],
        "tax_class": item["tax_class"],
        "subtotal": store.money_text(item["subtotal"]),
        "subtotal_tax": zero,
        "total": store.money_text(item["total"]),
        "total_tax": zero,
        "taxes": [],
        "meta_data": _meta_json(item["meta_data"], display=True),
        "sku": item["sku"],
        "price": _price(item),
        "image": {"id": "", "src": ""},
        "parent_name": item["parent_name"],
    }
