"""Shopify amounts at their currency's number of decimals, so both shapes write an amount alike.

REST bodies write amounts at the currency's scale ("10.00"), GraphQL's `Decimal` without
trailing zeros ("10.0"). Written at the ISO 4217 minor unit of the currency, a delivery and
a poll of the same change store the same text. Only zeros are added or taken away: an
amount with more decimals than its currency has is kept as Shopify sent it, never rounded.
"""

from decimal import Context, Decimal, InvalidOperation

# ISO 4217 minor units other than 2 (of the currencies Shopify sells in, and a few more).
CURRENCY_DECIMALS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
DEFAULT_DECIMALS = 2
# Wide enough for every amount the mapper lets through.
_CONTEXT = Context(prec=100)

ORDER_AMOUNTS = ("total", "subtotal", "total_tax", "shipping_total", "discount_total")
LINE_ITEM_AMOUNTS = ("price", "total")
PRODUCT_AMOUNTS = ("price", "regular_price", "sale_price")


def decimals_of(currency: str | None) -> int | None:
    """The number of decimals of a currency code, or None for a value that is not one."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        return None
    return CURRENCY_DECIMALS.get(currency, DEFAULT_DECIMALS)


def at_scale(amount: str | None, decimals: int) -> str | None:
    """A canonical decimal string written with `decimals` decimals when that only adds or drops zeros."""
    if amount is None:
        return None
    try:
        scaled = Decimal(amount).quantize(Decimal(1).scaleb(-decimals), context=_CONTEXT)
    except InvalidOperation:
        return amount
    if scaled != Decimal(amount):
        return amount
    return format(scaled.copy_abs() if scaled.is_zero() else scaled, "f")


def in_currency(resource: str, record: dict, currency: str | None) -> dict:
    """Write a mapped order's or product's amounts at the currency's scale, in place; answer the record."""
    decimals = decimals_of(currency)
    if decimals is None:
        return record
    if resource == "order":
        for name in ORDER_AMOUNTS:
            record[name] = at_scale(record[name], decimals)
        for item in record["line_items"]:
            for name in LINE_ITEM_AMOUNTS:
                item[name] = at_scale(item[name], decimals)
    else:
        for name in PRODUCT_AMOUNTS:
            record[name] = at_scale(record[name], decimals)
    return record
