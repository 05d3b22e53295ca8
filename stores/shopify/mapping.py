"""Map Shopify orders, products and variants to Storelink's order and product records.

Pure functions, for both shapes Shopify sends: REST-style webhook bodies (numeric ids,
snake_case, `*_set.shop_money`, times with the shop's offset) and GraphQL nodes from the
walks (GIDs, camelCase, `MoneyBag.shopMoney`, UTC times). Which shape a payload is follows
from its `id` (`fields.dialect_of`); the fields and their rules are declared once for both
in `shapes.py`, so a delivery and a poll of the same change give the same record.

The contract: `id` and `updated_at` (`updatedAt`) are required; every other field may be
absent or null (then None, containers empty); a present field of the wrong type is a
`MappingError` naming it as the payload does. Ids are the numeric ids as text; the GID is
`fields.gid(kind, external_id)` (Order, Product, or ProductVariant for a product record
with a parent). Money is the shop's money (`shopMoney`), never the buyer's presentment
money, which the record has no room for, written at its currency's scale (`money.py`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stores.errors import MappingError
from stores.readers import REQUIRED, ROOT_FIELD, format_money, read_id, read_object
from stores.shopify.fields import REST, dialect_of, read_gid
from stores.shopify.money import in_currency
from stores.shopify.shapes import ORDER, PRODUCT, VARIANT

# Our product types: a Shopify product is what its variants are sold as (WooCommerce's
# "variable"); each variant, the thing a line item names, is a "variation" with the product as parent.
PRODUCT_TYPE = "variable"
VARIANT_TYPE = "variation"

# The topic that picks the mapper is not signed: each refuses the field only the other record has.
NOT_ORDER = "must be absent: a body with variants is a product, not an order"
NOT_PRODUCT = "must be absent: a body with line items is an order, not a product"
NOT_PARENT = "must be the variant's product ({parent})"

# Order status from Shopify's financial and fulfillment status (docs/DESIGN.md says why), first match wins.
CANCELLED, REFUNDED, FAILED, COMPLETED, PROCESSING, ON_HOLD, PENDING = (
    "cancelled", "refunded", "failed", "completed", "processing", "on-hold", "pending",
)  # fmt: skip
STATUS_OF_PAYMENT = {
    "refunded": REFUNDED,
    "voided": CANCELLED,
    "expired": FAILED,
}
PAID = ("paid", "partially_refunded")
AUTHORIZED = "authorized"


def order_status(financial: str | None, fulfillment: str | None, cancelled: bool) -> str:
    """Storelink's order status from Shopify's financial status, fulfillment status and cancellation."""
    if cancelled:
        return CANCELLED
    if financial in STATUS_OF_PAYMENT:
        return STATUS_OF_PAYMENT[financial]
    if fulfillment == "fulfilled":
        return COMPLETED
    if financial in PAID:
        return PROCESSING
    if financial == AUTHORIZED:
        return ON_HOLD
    return PENDING  # pending, partially_paid, none, or a value Shopify adds later


def map_order(payload: Any) -> dict[str, Any]:
    """Map an order (webhook body or GraphQL node) to our order record."""
    payload = read_object(payload, ROOT_FIELD)
    dialect = dialect_of(payload)
    if payload.get("variants") is not None:
        raise MappingError("variants", NOT_ORDER)
    order = ORDER.read(payload, dialect)
    customer = order["customer"] or {}
    record = {
        "external_id": order["external_id"],
        "number": order["number"],
        "status": order_status(order["financial_status"], order["fulfillment_status"], order["cancelled_at"] is not None),
        "currency": order["currency"],
        "total": order["total"],
        "subtotal": order["subtotal"],
        "total_tax": order["total_tax"],
        "shipping_total": order["shipping_total"],
        "discount_total": order["discount_total"],
        "payment_method": None,  # gateways are not in GraphQL's order: both shapes leave it out
        "customer": {
            "external_id": customer.get("external_id"),
            "email": order["email"] if order["email"] is not None else customer.get("email"),
            "first_name": customer.get("first_name"),
            "last_name": customer.get("last_name"),
        },
        "billing": _address(order["billing"]),
        "shipping": _address(order["shipping"]),
        "line_items": [
            {
                "external_id": item["external_id"],
                "product_external_id": item["product_external_id"],
                "variation_external_id": item["variation_external_id"],
                "sku": item["sku"],
                "name": item["name"],
                "quantity": item["quantity"],
                "price": item["price"],
                "total": _line_total(item),
            }
            for item in order["line_items"]
        ],
        "created_at": order["created_at"],
        "modified_at": order["modified_at"],
        "paid_at": None,  # payment times live in transactions, which neither shape carries
        "completed_at": order["closed_at"],
    }
    return in_currency("order", record, order["currency"])


def _address(address: dict[str, Any] | None) -> dict[str, Any]:
    """An address with the parts it has (empty when there is none)."""
    return {key: value for key, value in (address or {}).items() if value is not None}


def _line_total(item: dict[str, Any]) -> str | None:
    """The line's total after its own discounts: GraphQL's discountedTotalSet, or REST's price × quantity − total_discount."""
    if item["discounted_total"] is not None:
        return item["discounted_total"]
    if item["price"] is None or item["quantity"] is None:
        return None
    total = Decimal(item["price"]) * item["quantity"] - Decimal(item["total_discount"] or 0)
    return format_money(total.copy_abs() if total.is_zero() else total)


def map_product(payload: Any, parent: str | int | None = None, *, currency: str | None = None) -> dict[str, Any]:
    """Map a product, or with `parent` (the product's id) one of its variants, to our product record.

    `currency`: the shop's (its store facts), at whose scale prices are written; None leaves
    them as Shopify sent them.

    A variant carries its product's `id`, `title`, `status` and `updated_at` under `product`
    (GraphQL's `ProductVariant.product`; `variants_of` adds it to a webhook's variants): the
    record's name is "<product title> - <variant title>", its status the product's, and its
    modification time the later of the two, since both feed the record.
    """
    payload = read_object(payload, ROOT_FIELD)
    if payload.get("line_items") is not None or payload.get("lineItems") is not None:
        raise MappingError("line_items" if "line_items" in payload else "lineItems", NOT_PRODUCT)
    dialect = dialect_of(payload)
    if parent is None:
        product = PRODUCT.read(payload, dialect)
        return _product_record(product, None, PRODUCT_TYPE, name=product["name"], status=product["status"])  # no prices
    parent = read_id(parent, "parent_external_id")
    variant = VARIANT.read(payload, dialect)
    product = variant["product"]
    if product is None:
        raise MappingError("product", REQUIRED)
    if product["external_id"] != parent:
        raise MappingError("product.id", NOT_PARENT.format(parent=parent))
    titles = [title for title in (product["name"], variant["title"]) if title is not None]
    record = _product_record(variant, parent, VARIANT_TYPE, name=" - ".join(titles) or None, status=product["status"])
    record["modified_at"] = max(variant["modified_at"], product["modified_at"])
    record["sku"] = variant["sku"]
    record["stock_quantity"] = variant["stock_quantity"]
    record["price"] = variant["price"]
    record["regular_price"], record["sale_price"] = _regular_and_sale(variant["price"], variant["compare_at_price"])
    return in_currency("product", record, currency)


def _product_record(values: dict[str, Any], parent: str | None, kind: str, *, name: str | None, status: str | None) -> dict[str, Any]:
    return {
        "external_id": values["external_id"],
        "parent_external_id": parent,
        "type": kind,
        "name": name,
        "sku": None,
        "status": status,
        "price": None,
        "regular_price": None,
        "sale_price": None,
        "stock_quantity": None,
        "stock_status": None,  # Shopify has no stock status; stock_quantity says it
        "manage_stock": None,  # tracking lives on the inventory item, not in the webhook body
        "created_at": values["created_at"],
        "modified_at": values["modified_at"],
    }


def _regular_and_sale(price: str | None, compare_at: str | None) -> tuple[str | None, str | None]:
    """A compare-at price above the price is the regular price and the price a sale; otherwise the price is regular."""
    if price is not None and compare_at is not None and Decimal(compare_at) > Decimal(price):
        return compare_at, price
    return price, None


def variants_of(payload: Any) -> list[tuple[dict[str, Any], str | None]]:
    """A product webhook body as (payload, parent) items: the product, then each variant with its product.

    products/create and products/update deliver every variant inside the product; each one,
    given the product's `id`, `title`, `status`, `created_at` and `updated_at` as `product`, maps with
    `map_product(variant, parent=<product id>)`.
    """
    payload = read_object(payload, ROOT_FIELD)
    if dialect_of(payload) != REST:
        raise MappingError("id", "must be a number in a webhook body")
    product_id = read_id(payload.get("id"), "id")
    summary = {key: payload.get(key) for key in ("id", "title", "status", "created_at", "updated_at")}
    variants = payload.get("variants")
    if variants is None:
        return [(payload, None)]
    if not isinstance(variants, list):
        raise MappingError("variants", "must be a list")
    items: list[tuple[dict[str, Any], str | None]] = [(payload, None)]
    for index, variant in enumerate(variants):
        items.append(({**read_object(variant, f"variants[{index}]"), "product": summary}, product_id))
    return items


def deleted_id(payload: Any) -> str:
    """The id an orders/delete or products/delete body names (`{"id": 1234}`, maybe with its `admin_graphql_api_id`)."""
    payload = read_object(payload, ROOT_FIELD)
    value = payload.get("id")
    if isinstance(value, str) and value.startswith("gid://"):
        kind = value.split("/")[3] if value.count("/") >= 4 else ""
        return read_gid(kind or "Order")(value, "id")
    return read_id(value, "id")
