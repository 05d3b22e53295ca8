"""Map WooCommerce REST and webhook JSON to Storelink's order and product records.

Pure functions only: no I/O, no database, no web framework. The same mapper serves
webhook bodies and polled REST pages, so both produce identical records.

The contract every function here keeps:
* `id` and `date_modified_gmt` identify and order a change: they are required.
* Every other field may be absent or null and then maps to None (containers to empty);
  when present it must have the type WooCommerce sends, else `MappingError`.
* Unknown fields are ignored; strings are passed through exactly as the store sent them
  (no trimming, no HTML unescaping, no length cut).
* Money is a canonical decimal string at the store's own scale ("17.98"), never a float.
* Times are timezone-aware UTC datetimes taken from the `*_gmt` fields.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from decimal import Context, Decimal, Inexact, Rounded
from typing import Any

from config import bounds
from stores.errors import MappingError

# Field name used in errors about the payload as a whole.
ROOT_FIELD = "payload"

# Ids, integers and money within the columns' bounds (`config.bounds`), so that what maps is stored:
# ids up to WordPress's BIGINT(20) UNSIGNED, quantities and stock within a signed BIGINT.
MAX_ID = bounds.MAX_ID
MIN_INT, MAX_INT = bounds.INT64_MIN, bounds.INT64_MAX
MAX_MONEY_DIGITS = bounds.MAX_MONEY_DIGITS

# WooCommerce writes 0 for "none": guest customer, no variation, no parent, deleted product.
NO_REFERENCE = 0
# WooCommerce writes "" for a product price that is not set (e.g. no sale price).
UNSET_PRICE = ""
# A variation whose stock is managed by its parent product reports manage_stock "parent".
MANAGE_STOCK_FROM_PARENT = "parent"
# Product type of a variation; only variations carry a parent in our records.
VARIATION_TYPE = "variation"

# Arithmetic on amounts of at most MAX_MONEY_DIGITS digits: wide enough to be exact, and
# trapping rather than rounding should it ever not be.
_EXACT = Context(prec=4 * MAX_MONEY_DIGITS, traps=[Inexact, Rounded])

# Money as WooCommerce formats it (wc_format_decimal): optional minus, digits, optional fraction.
_MONEY_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# Money already in the form `_format_money` writes: no leading zeros, no negative zero.
_CANONICAL_MONEY_RE = re.compile(r"(?!-0+(?:\.0+)?$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# `*_gmt` date-times: "2026-11-27T10:27:37" (no offset: it IS UTC); fraction/offset tolerated.
_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)

# Reasons, shared so that tests and callers can match on them.
REQUIRED = "is required"
NOT_OBJECT = "must be an object"
NOT_LIST = "must be a list"
NOT_ID = "must be a positive integer id"
NOT_REFERENCE = "must be an integer id or 0"
NOT_INTEGER = "must be an integer"
NOT_STRING = "must be a string"
NOT_BOOLEAN = "must be a boolean"
NOT_MONEY = "must be a decimal amount"
NOT_DATETIME = "must be an ISO 8601 date-time"
OUT_OF_RANGE = "is out of range"
NO_PARENT = "is required for a variation"
NOT_VARIATION = "must be 'variation' when a parent is given"
# The topic that picks the mapper is not signed: each refuses the field only the other record has.
NOT_ORDER = "must be absent: a body with a product type is a product, not an order"
NOT_PRODUCT = "must be absent: a body with line items is an order, not a product"


def map_order(payload: Any) -> dict[str, Any]:
    """Map an order (webhook body or REST item) to our order record."""
    order = _object(payload, ROOT_FIELD)
    if order.get("type") is not None:
        raise MappingError("type", NOT_ORDER)
    external_id = _id(order.get("id"), "id")
    billing = _address(order.get("billing"), "billing")
    shipping = _address(order.get("shipping"), "shipping")
    raw_items = _list(order.get("line_items"), "line_items")
    line_items = [_line_item(item, i) for i, item in enumerate(raw_items)]
    total = _decimal(order.get("total"), "total")
    return {
        "external_id": external_id,
        "number": _order_number(order.get("number"), "number"),
        "status": _text(order.get("status"), "status"),
        "currency": _text(order.get("currency"), "currency"),
        "total": _format_money(total),
        "subtotal": _subtotal(raw_items, total),
        "total_tax": _money(order.get("total_tax"), "total_tax"),
        "shipping_total": _money(order.get("shipping_total"), "shipping_total"),
        "discount_total": _money(order.get("discount_total"), "discount_total"),
        "payment_method": _text(order.get("payment_method"), "payment_method"),
        "customer": {
            "external_id": _reference(order.get("customer_id"), "customer_id"),
            "email": billing.get("email"),
            "first_name": billing.get("first_name"),
            "last_name": billing.get("last_name"),
        },
        "billing": billing,
        "shipping": shipping,
        "line_items": line_items,
        "created_at": _utc(order.get("date_created_gmt"), "date_created_gmt"),
        "modified_at": _utc(order.get("date_modified_gmt"), "date_modified_gmt", required=True),
        "paid_at": _utc(order.get("date_paid_gmt"), "date_paid_gmt"),
        "completed_at": _utc(order.get("date_completed_gmt"), "date_completed_gmt"),
    }


def map_product(payload: Any, parent_external_id: str | int | None = None) -> dict[str, Any]:
    """Map a product or variation (webhook body or REST item) to our product record.

    `parent_external_id` is for items read from /products/<id>/variations, which in some
    WooCommerce versions carry neither `parent_id` nor `type`: when given it wins over the
    payload's `parent_id` and makes a missing `type` "variation".

    `parent_external_id` is set for variations only (other types may carry a legacy
    `parent_id`, e.g. children of grouped products: it is not a variation parent).

    `manage_stock` "parent" (a variation whose stock the parent product manages) maps to
    True: the stock IS managed, and `stock_quantity` then reports the parent's shared stock.
    """
    product = _object(payload, ROOT_FIELD)
    if product.get("line_items") is not None:
        raise MappingError("line_items", NOT_PRODUCT)
    external_id = _id(product.get("id"), "id")
    kind = _text(product.get("type"), "type")
    if parent_external_id is not None:
        parent = _id(parent_external_id, "parent_external_id")
        if kind is None:
            kind = VARIATION_TYPE
        elif kind != VARIATION_TYPE:
            raise MappingError("type", NOT_VARIATION)
    else:
        parent = _reference(product.get("parent_id"), "parent_id")
        if kind is None:
            if parent is None:
                raise MappingError("type", REQUIRED)
            kind = VARIATION_TYPE
    if kind == VARIATION_TYPE:
        if parent is None:
            raise MappingError("parent_id", NO_PARENT)
    else:
        parent = None
    return {
        "external_id": external_id,
        "parent_external_id": parent,
        "type": kind,
        "name": _text(product.get("name"), "name"),
        "sku": _text(product.get("sku"), "sku"),
        "status": _text(product.get("status"), "status"),
        "price": _price(product.get("price"), "price"),
        "regular_price": _price(product.get("regular_price"), "regular_price"),
        "sale_price": _price(product.get("sale_price"), "sale_price"),
        "stock_quantity": _int(product.get("stock_quantity"), "stock_quantity"),
        "stock_status": _text(product.get("stock_status"), "stock_status"),
        "manage_stock": _manage_stock(product.get("manage_stock"), "manage_stock"),
        "created_at": _utc(product.get("date_created_gmt"), "date_created_gmt"),
        "modified_at": _utc(product.get("date_modified_gmt"), "date_modified_gmt", required=True),
    }


def deleted_id(payload: Any) -> str:
    """Return the external id of a `*.deleted` body (`{"id": 36}` or a full record)."""
    return _id(_object(payload, ROOT_FIELD).get("id"), "id")


def _line_item(value: Any, index: int) -> dict[str, Any]:
    """Map the order's line item number `index`."""
    item = _object(value, f"line_items[{index}]")
    try:
        return {
            "external_id": _id(item.get("id"), "id"),
            "product_external_id": _reference(item.get("product_id"), "product_id"),
            "variation_external_id": _reference(item.get("variation_id"), "variation_id"),
            "sku": _text(item.get("sku"), "sku"),
            "name": _text(item.get("name"), "name"),
            "quantity": _int(item.get("quantity"), "quantity"),
            "price": _money(item.get("price"), "price"),
            "total": _money(item.get("total"), "total"),
        }
    except MappingError as error:
        # The full field name is written only for an error: orders carry many items.
        raise MappingError(f"line_items[{index}].{error.field}", error.reason) from None


def _subtotal(items: list[Any], total: Decimal | None) -> str | None:
    """Sum the line items' `subtotal` (before discounts), as WooCommerce's get_subtotal does.

    None when an item has no subtotal; with no items, zero at the order total's scale.
    """
    amounts = []
    for i, item in enumerate(items):
        amount = _decimal(item.get("subtotal"), f"line_items[{i}].subtotal")
        if amount is None:
            return None
        amounts.append(amount)
    if not amounts:
        exponent = total.as_tuple().exponent if total is not None else 0
        assert isinstance(exponent, int)  # finite by construction
        return _format_money(Decimal((0, (0,), min(exponent, 0))))
    subtotal = amounts[0]
    for amount in amounts[1:]:
        subtotal = _EXACT.add(subtotal, amount)
    return _format_money(subtotal)


def _object(value: Any, field: str) -> dict[str, Any]:
    """Require a JSON object."""
    if not isinstance(value, dict):
        raise MappingError(field, NOT_OBJECT)
    return value


def _list(value: Any, field: str) -> list[Any]:
    """Require a JSON array; absent or null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(field, NOT_LIST)
    return value


def _address(value: Any, field: str) -> dict[str, str | None]:
    """Copy an address object whose values are strings; absent is empty.

    PHP's json_encode writes an empty associative array as `[]`, so `[]` is an empty address.
    """
    if value is None or value == []:
        return {}
    address = _object(value, field)
    for part in address.values():
        if type(part) is not str or "\x00" in part:
            return {key: _text(part, f"{field}.{key}") for key, part in address.items()}
    return dict(address)  # the usual case, every part a plain string: nothing to check per key


def _text(value: Any, field: str) -> str | None:
    """Require a string or null, returned as is but for NUL characters (U+FFFD instead: PostgreSQL cannot store NUL)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    raise MappingError(field, NOT_STRING)


def _order_number(value: Any, field: str) -> str | None:
    """An order number is a string; plugins that renumber orders may send an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(_bounded(value, field))
    return _text(value, field)


def _id(value: Any, field: str) -> str:
    """Require a positive integer id (a JSON number or a string of digits) and return its str."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > len(str(MAX_ID)):
            raise MappingError(field, OUT_OF_RANGE)
        value = int(value)
    if value is None:
        raise MappingError(field, REQUIRED)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise MappingError(field, NOT_ID)
    if value > MAX_ID:
        raise MappingError(field, OUT_OF_RANGE)
    return str(value)


def _reference(value: Any, field: str) -> str | None:
    """An id that may be 0 or absent for "none" (guest customer, no variation, no parent)."""
    if value is None or (value == NO_REFERENCE and not isinstance(value, (bool, float))):
        return None
    if isinstance(value, str) and value == str(NO_REFERENCE):
        return None
    try:
        return _id(value, field)
    except MappingError as error:
        if error.reason == NOT_ID:
            raise MappingError(field, NOT_REFERENCE) from None
        raise


def _bounded(value: int, field: str) -> int:
    """Require an integer that fits a signed 64-bit column."""
    if not MIN_INT <= value <= MAX_INT:
        raise MappingError(field, OUT_OF_RANGE)
    return value


def _int(value: Any, field: str) -> int | None:
    """Require an integer (not a boolean, not a float, not a string) or null."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MappingError(field, NOT_INTEGER)
    return _bounded(value, field)


def _bool(value: Any, field: str) -> bool | None:
    """Require a boolean or null."""
    if value is None or isinstance(value, bool):
        return value
    raise MappingError(field, NOT_BOOLEAN)


def _manage_stock(value: Any, field: str) -> bool | None:
    """A boolean, or "parent" (managed by the parent product), which counts as managed."""
    if value == MANAGE_STOCK_FROM_PARENT:
        return True
    return _bool(value, field)


def _decimal(value: Any, field: str) -> Decimal | None:
    """Parse money from a decimal string or a JSON number, exactly; null is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MappingError(field, NOT_MONEY)
    if isinstance(value, str):
        if not _MONEY_RE.fullmatch(value):
            raise MappingError(field, NOT_MONEY)
        amount = Decimal(value)
        if len(value) <= MAX_MONEY_DIGITS:  # as WooCommerce writes money: no more digits than characters
            return amount.copy_abs() if amount.is_zero() else amount
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_MONEY_DIGITS:
            raise MappingError(field, OUT_OF_RANGE)
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise MappingError(field, NOT_MONEY)
        # str() is the shortest repr that round-trips: 8.99 -> "8.99", not 8.990000000000000213...
        amount = Decimal(str(value))
    else:
        raise MappingError(field, NOT_MONEY)
    if _fixed_digits(amount) > MAX_MONEY_DIGITS:
        raise MappingError(field, OUT_OF_RANGE)
    return amount.copy_abs() if amount.is_zero() else amount


def _fixed_digits(amount: Decimal) -> int:
    """Count the digits of `amount` written in fixed-point notation."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite by construction
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits), -exponent)


def _format_money(amount: Decimal | None) -> str | None:
    """Write a decimal in fixed-point notation, keeping its scale ("17.98", "0.00")."""
    return None if amount is None else format(amount, "f")


def _money(value: Any, field: str) -> str | None:
    """Money as a canonical decimal string, or None when null."""
    # As WooCommerce writes money ("17.98", or 8.99 for a line item's price), the text is
    # already what parsing would give: a float is parsed from its str() anyway.
    kind = type(value)
    text = value if kind is str else str(value) if kind is float or kind is int else None
    if text is not None and len(text) <= MAX_MONEY_DIGITS and _CANONICAL_MONEY_RE.fullmatch(text):
        return text
    return _format_money(_decimal(value, field))


def _price(value: Any, field: str) -> str | None:
    """A product price: like money, but "" (price not set) is None."""
    return None if value == UNSET_PRICE else _money(value, field)


def _utc(value: Any, field: str, *, required: bool = False) -> datetime | None:
    """Parse a `*_gmt` date-time (no offset, and it is UTC) into an aware UTC datetime."""
    if value is None:
        if required:
            raise MappingError(field, REQUIRED)
        return None
    if not isinstance(value, str) or not _DATETIME_RE.fullmatch(value):
        raise MappingError(field, NOT_DATETIME)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise MappingError(field, NOT_DATETIME) from None
