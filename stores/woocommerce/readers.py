"""Read one field of a WooCommerce record: its value as Storelink stores it, or a `MappingError` naming the field.

The readers every system shares are in `stores/readers.py` (and re-exported here); these are
WooCommerce's own.

The rules every reader keeps:
* Absent and null map to None (containers to empty), but for `read_id`: an id is always
  required. Other fields are required where a shape says so (`shapes.py`), not here.
* When present a value must have the type WooCommerce sends, else `MappingError`.
* Strings are passed through exactly as the store sent them (no trimming, no HTML
  unescaping, no length cut).
* Money is a canonical decimal string at the store's own scale ("17.98"), never a float.
* Times are timezone-aware UTC datetimes taken from the `*_gmt` fields.
"""

from __future__ import annotations

from typing import Any

from stores.errors import MappingError
from stores.readers import (
    MAX_ID,
    MAX_INT,
    MAX_MONEY_DIGITS,
    MIN_INT,
    MONEY_PATTERN,
    NOT_BOOLEAN,
    NOT_DATETIME,
    NOT_ID,
    NOT_INTEGER,
    NOT_LIST,
    NOT_MONEY,
    NOT_OBJECT,
    NOT_STRING,
    OUT_OF_RANGE,
    REQUIRED,
    ROOT_FIELD,
    _bounded,
    format_money,
    read_bool,
    read_decimal,
    read_id,
    read_int,
    read_list,
    read_money,
    read_object,
    read_text,
    read_utc,
)

# WooCommerce writes 0 for "none": guest customer, no variation, no parent, deleted product.
NO_REFERENCE = 0
# WooCommerce writes "" for a product price that is not set (e.g. no sale price).
UNSET_PRICE = ""
# A variation whose stock is managed by its parent product reports manage_stock "parent".
MANAGE_STOCK_FROM_PARENT = "parent"

# Reasons of WooCommerce's own.
NOT_REFERENCE = "must be an integer id or 0"
NO_PARENT = "is required for a variation"
NOT_VARIATION = "must be 'variation' when a parent is given"
# The topic that picks the mapper is not signed: each refuses the field only the other record has.
NOT_ORDER = "must be absent: a body with a product type is a product, not an order"
NOT_PRODUCT = "must be absent: a body with line items is an order, not a product"

__all__ = [  # the shared readers, re-exported for WooCommerce's modules and tests
    "ROOT_FIELD",
    "MAX_ID",
    "MIN_INT",
    "MAX_INT",
    "MAX_MONEY_DIGITS",
    "MONEY_PATTERN",
    "REQUIRED",
    "NOT_OBJECT",
    "NOT_LIST",
    "NOT_ID",
    "NOT_INTEGER",
    "NOT_STRING",
    "NOT_BOOLEAN",
    "NOT_MONEY",
    "NOT_DATETIME",
    "OUT_OF_RANGE",
    "MappingError",
    "read_object",
    "read_list",
    "read_text",
    "read_id",
    "read_int",
    "read_bool",
    "read_decimal",
    "format_money",
    "read_money",
    "read_utc",
]


def read_address(value: Any, field: str) -> dict[str, str | None]:
    """Copy an address object whose values are strings; absent is empty.

    PHP's json_encode writes an empty associative array as `[]`, so `[]` is an empty address.
    """
    if value is None or value == []:
        return {}
    address = read_object(value, field)
    for part in address.values():
        if type(part) is not str or "\x00" in part:
            return {key: read_text(part, f"{field}.{key}") for key, part in address.items()}
    return dict(address)  # the usual case, every part a plain string: nothing to check per key


def read_order_number(value: Any, field: str) -> str | None:
    """An order number is a string; plugins that renumber orders may send an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(_bounded(value, field))
    return read_text(value, field)


def read_reference(value: Any, field: str) -> str | None:
    """An id that may be 0 or absent for "none" (guest customer, no variation, no parent)."""
    if value is None or (value == NO_REFERENCE and not isinstance(value, (bool, float))):
        return None
    if isinstance(value, str) and value == str(NO_REFERENCE):
        return None
    try:
        return read_id(value, field)
    except MappingError as error:
        if error.reason == NOT_ID:
            raise MappingError(field, NOT_REFERENCE) from None
        raise


def read_manage_stock(value: Any, field: str) -> bool | None:
    """A boolean, or "parent" (managed by the parent product), which counts as managed."""
    if value == MANAGE_STOCK_FROM_PARENT:
        return True
    return read_bool(value, field)


def read_price(value: Any, field: str) -> str | None:
    """A product price: like money, but "" (price not set) is None."""
    return None if value == UNSET_PRICE else read_money(value, field)
