"""Map a WooCommerce order (webhook body or REST item) to Storelink's order record.

Pure functions: the fields and their rules are `shapes.ORDER` and `shapes.LINE_ITEM`; this
module only lays the values read out as the record, and sums the order's subtotal.
"""

from decimal import Context, Decimal, Inexact, Rounded
from typing import Any

from stores.woocommerce.readers import MAX_MONEY_DIGITS, ROOT_FIELD, format_money, read_object
from stores.woocommerce.shapes import ORDER

# Arithmetic on amounts of at most MAX_MONEY_DIGITS digits: wide enough to be exact, and
# trapping rather than rounding should it ever not be.
_EXACT = Context(prec=4 * MAX_MONEY_DIGITS, traps=[Inexact, Rounded])


def map_order(payload: Any) -> dict[str, Any]:
    """Map an order (webhook body or REST item) to our order record."""
    order = ORDER.read(read_object(payload, ROOT_FIELD))
    billing = order["billing"]
    items = order["line_items"]
    return {
        "external_id": order["id"],
        "number": order["number"],
        "status": order["status"],
        "currency": order["currency"],
        "total": order["total"],
        "subtotal": _subtotal(items, order["total"]),
        "total_tax": order["total_tax"],
        "shipping_total": order["shipping_total"],
        "discount_total": order["discount_total"],
        "payment_method": order["payment_method"],
        "customer": {
            "external_id": order["customer_id"],
            "email": billing.get("email"),
            "first_name": billing.get("first_name"),
            "last_name": billing.get("last_name"),
        },
        "billing": billing,
        "shipping": order["shipping"],
        "line_items": [
            {
                "external_id": item["id"],
                "product_external_id": item["product_id"],
                "variation_external_id": item["variation_id"],
                "sku": item["sku"],
                "name": item["name"],
                "quantity": item["quantity"],
                "price": item["price"],
                "total": item["total"],
            }
            for item in items
        ],
        "created_at": order["date_created_gmt"],
        "modified_at": order["date_modified_gmt"],
        "paid_at": order["date_paid_gmt"],
        "completed_at": order["date_completed_gmt"],
    }


def _subtotal(items: list[dict[str, Any]], total: str | None) -> str | None:
    """Sum the line items' `subtotal` (before discounts), as WooCommerce's get_subtotal does.

    None when an item has no subtotal; with no items, zero at the order total's scale.
    """
    if not items:
        exponent = Decimal(total).as_tuple().exponent if total is not None else 0
        assert isinstance(exponent, int)  # finite by construction
        return format_money(Decimal((0, (0,), min(exponent, 0))))
    amounts = [item["subtotal"] for item in items]
    if None in amounts:
        return None
    subtotal = Decimal(amounts[0])
    for amount in amounts[1:]:
        subtotal = _EXACT.add(subtotal, Decimal(amount))
    return format_money(subtotal)
