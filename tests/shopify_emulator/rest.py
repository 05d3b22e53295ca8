"""Records in Shopify's REST shape, as webhooks deliver them: snake_case, numeric ids, amounts as strings.

Times carry the shop's UTC offset (`2026-05-01T08:00:00-04:00`), amounts come with their
`*_set.shop_money` / `presentment_money` twins, and every record names its `admin_graphql_api_id`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .values import money


def gid(kind: str, record_id: int) -> str:
    """gid://shopify/Order/5678901234001"""
    return f"gid://shopify/{kind}/{record_id}"


def local_time(timestamp: float | None, timezone: str) -> str | None:
    """ISO 8601 in the shop's time zone, with its offset, to the second."""
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(int(timestamp), ZoneInfo(timezone))
    return moment.isoformat()


def utc_time(timestamp: float | None) -> str | None:
    """ISO 8601 in UTC with a Z, as GraphQL's DateTime."""
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_totals(order: dict[str, Any]) -> dict[str, str]:
    """subtotal (items less discounts), shipping, tax, discounts and total, in shop money."""
    items = sum((Decimal(item["price"]) * item["quantity"] for item in order["line_items"]), Decimal(0))
    discounts = Decimal(order["total_discounts"])
    subtotal = items - discounts
    total = subtotal + Decimal(order["shipping_price"]) + Decimal(order["total_tax"])
    return {
        "subtotal": money(subtotal), "shipping": order["shipping_price"], "tax": order["total_tax"],
        "discounts": order["total_discounts"], "total": money(total), "line_items": money(items),
    }


def presentment(order: dict[str, Any], amount: str) -> str:
    """An amount in the buyer's currency (shop amount times the order's exchange rate)."""
    return money(Decimal(amount) * Decimal(order["exchange_rate"]))


def price_set(order: dict[str, Any], amount: str) -> dict[str, Any]:
    """REST's `*_set`: shop_money and presentment_money."""
    return {
        "shop_money": {"amount": amount, "currency_code": order["currency"]},
        "presentment_money": {"amount": presentment(order, amount), "currency_code": order["presentment_currency"]},
    }


def order_json(order: dict[str, Any], timezone: str) -> dict[str, Any]:
    """An order as orders/create and orders/updated deliver it."""
    totals = order_totals(order)
    when = lambda key: local_time(order[key], timezone)  # noqa: E731
    customer = order["customer"]
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"],
        "order_number": order["order_number"],
        "number": order["order_number"] - 1000,
        "email": order["email"],
        "contact_email": order["email"],
        "phone": order["phone"],
        "note": order["note"],
        "tags": ", ".join(order["tags"]),
        "test": order["test"],
        "confirmed": order["confirmed"],
        "created_at": when("created_at"),
        "updated_at": when("updated_at"),
        "processed_at": when("processed_at"),
        "cancelled_at": when("cancelled_at"),
        "cancel_reason": order["cancel_reason"],
        "closed_at": when("closed_at"),
        "currency": order["currency"],
        "presentment_currency": order["presentment_currency"],
        "financial_status": order["financial_status"],
        "fulfillment_status": order["fulfillment_status"],
        "subtotal_price": totals["subtotal"],
        "subtotal_price_set": price_set(order, totals["subtotal"]),
        "total_price": totals["total"],
        "total_price_set": price_set(order, totals["total"]),
        "current_total_price": totals["total"],
        "current_total_price_set": price_set(order, totals["total"]),
        "total_tax": totals["tax"],
        "total_tax_set": price_set(order, totals["tax"]),
        "total_discounts": totals["discounts"],
        "total_discounts_set": price_set(order, totals["discounts"]),
        "total_line_items_price": totals["line_items"],
        "total_shipping_price_set": price_set(order, totals["shipping"]),
        "customer": None if customer is None else {
            "id": customer["id"], "admin_graphql_api_id": gid("Customer", customer["id"]),
            "email": customer.get("email"), "first_name": customer.get("first_name"),
            "last_name": customer.get("last_name"), "phone": customer.get("phone"),
        },
        "billing_address": order["billing_address"],
        "shipping_address": order["shipping_address"],
        "line_items": [
            {
                "id": item["id"],
                "admin_graphql_api_id": gid("LineItem", item["id"]),
                "product_id": item["product_id"],
                "variant_id": item["variant_id"],
                "title": item["title"],
                "variant_title": item["variant_title"],
                "name": item["name"],
                "sku": item["sku"],
                "quantity": item["quantity"],
                "current_quantity": item["quantity"],
                "price": item["price"],
                "price_set": price_set(order, item["price"]),
            }
            for item in order["line_items"]
        ],
    }


def product_json(product: dict[str, Any], timezone: str) -> dict[str, Any]:
    """A product as products/create and products/update deliver it, with all its variants."""
    when = lambda record, key: local_time(record[key], timezone)  # noqa: E731
    return {
        "id": product["id"],
        "admin_graphql_api_id": gid("Product", product["id"]),
        "title": product["title"],
        "handle": product["handle"],
        "body_html": product["body_html"],
        "vendor": product["vendor"],
        "product_type": product["product_type"],
        "status": product["status"],
        "tags": ", ".join(product["tags"]),
        "created_at": when(product, "created_at"),
        "updated_at": when(product, "updated_at"),
        "published_at": when(product, "published_at"),
        "variants": [
            {
                "id": variant["id"],
                "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
                "product_id": product["id"],
                "title": variant["title"],
                "sku": variant["sku"],
                "barcode": variant["barcode"],
                "price": variant["price"],
                "compare_at_price": variant["compare_at_price"],
                "position": variant["position"],
                "inventory_quantity": variant["inventory_quantity"],
                "inventory_item_id": variant["inventory_item_id"],
                "taxable": variant["taxable"],
                "option1": variant["option1"],
                "option2": variant["option2"],
                "option3": variant["option3"],
                "created_at": when(variant, "created_at"),
                "updated_at": when(variant, "updated_at"),
            }
            for variant in product["variants"]
        ],
    }


def shop_json(shop: dict[str, Any]) -> dict[str, Any]:
    """The shop, as app/uninstalled delivers it."""
    return {
        "id": shop["id"],
        "name": shop["name"],
        "email": shop["email"],
        "domain": shop["domain"],
        "myshopify_domain": shop["domain"],
        "currency": shop["currency"],
        "iana_timezone": shop["timezone"],
        "plan_name": "basic",
    }
