"""Every amount of a mapped record at the store's number of decimals, as its order totals are.

WooCommerce writes order and line totals with the store's *Number of decimals* setting
(`wc_get_price_decimals()`, the `woocommerce_price_num_decimals` option): "10.00". A line
item's `price` is a JSON number (total / quantity: 10, 45.5, 3.3333333333333335) and
product prices are the text the shop manager typed ("10"). Written like the totals, every
amount reads alike: rounded half away from zero, as `wc_format_decimal` (PHP's round) does.
Pure functions, on records made by `stores.woocommerce.mapping`.
"""

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

# Where a connection's store facts keep the store's number of decimals.
PRICE_DECIMALS_FACT = "price_decimals"
# More decimals than any currency has: a setting beyond it is not trusted.
MAX_PRICE_DECIMALS = 8

ORDER_AMOUNTS = ("total", "subtotal", "total_tax", "shipping_total", "discount_total")
LINE_ITEM_AMOUNTS = ("price", "total")
PRODUCT_AMOUNTS = ("price", "regular_price", "sale_price")

# Wide enough for every amount the mapper lets through, so rounding happens only at the scale.
_CONTEXT = Context(prec=100, rounding=ROUND_HALF_UP)


def price_decimals(value: Any) -> int | None:
    """The store's number of decimals from `system_status` (`settings.number_of_decimals`), or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PRICE_DECIMALS:
        return value
    return None


def at_decimals(amount: str | None, decimals: int) -> str | None:
    """A canonical decimal string ("45.5") with exactly `decimals` decimals ("45.50")."""
    if amount is None:
        return None
    point = amount.find(".")
    if (0 if point == -1 else len(amount) - point - 1) == decimals:
        return amount  # as the store writes its totals: nothing to do
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-decimals), context=_CONTEXT)
    return format(rounded.copy_abs() if rounded.is_zero() else rounded, "f")


def with_store_decimals(resource: str, record: dict[str, Any], decimals: int) -> dict[str, Any]:
    """Write the amounts of a mapped order or product (`resource`) at `decimals`, in place; answer it."""
    if resource == "order":
        for name in ORDER_AMOUNTS:
            record[name] = at_decimals(record[name], decimals)
        for item in record["line_items"]:
            for name in LINE_ITEM_AMOUNTS:
                item[name] = at_decimals(item[name], decimals)
    else:
        for name in PRODUCT_AMOUNTS:
            record[name] = at_decimals(record[name], decimals)
    return record
