"""Map WooCommerce REST and webhook JSON to Storelink's order and product records: the mapper's entry points.

Pure functions only: no I/O, no database, no web framework. The same mapper serves
webhook bodies and polled REST pages, so both produce identical records.

The contract every function here keeps:
* `id` and `date_modified_gmt` identify and order a change: they are required.
* Every other field may be absent or null and then maps to None (containers to empty);
  when present it must have the type WooCommerce sends, else `MappingError` naming it.
* Unknown fields are ignored; strings are passed through exactly as the store sent them.

Where things are: the fields of each record and their rules in `shapes.py` (from which the
receiver's quick check is built too), how one field is read in `readers.py`, and the records'
layout in `orders.py` and `products.py`.
"""

from typing import Any

from stores.woocommerce.orders import map_order
from stores.woocommerce.products import VARIATION_TYPE, map_product
from stores.woocommerce.readers import (
    MANAGE_STOCK_FROM_PARENT,
    MAX_ID,
    MAX_INT,
    MAX_MONEY_DIGITS,
    MIN_INT,
    NO_PARENT,
    NO_REFERENCE,
    NOT_BOOLEAN,
    NOT_DATETIME,
    NOT_ID,
    NOT_INTEGER,
    NOT_LIST,
    NOT_MONEY,
    NOT_OBJECT,
    NOT_ORDER,
    NOT_PRODUCT,
    NOT_REFERENCE,
    NOT_STRING,
    NOT_VARIATION,
    OUT_OF_RANGE,
    REQUIRED,
    ROOT_FIELD,
    UNSET_PRICE,
    MappingError,
    read_id,
    read_object,
)

__all__ = [
    "MANAGE_STOCK_FROM_PARENT", "MAX_ID", "MAX_INT", "MAX_MONEY_DIGITS", "MIN_INT", "NO_PARENT",
    "NO_REFERENCE", "NOT_BOOLEAN", "NOT_DATETIME", "NOT_ID", "NOT_INTEGER", "NOT_LIST", "NOT_MONEY",
    "NOT_OBJECT", "NOT_ORDER", "NOT_PRODUCT", "NOT_REFERENCE", "NOT_STRING", "NOT_VARIATION",
    "OUT_OF_RANGE", "REQUIRED", "ROOT_FIELD", "UNSET_PRICE", "VARIATION_TYPE", "MappingError",
    "deleted_id", "map_order", "map_product",
]  # fmt: skip


def deleted_id(payload: Any) -> str:
    """Return the external id of a `*.deleted` body (`{"id": 36}` or a full record)."""
    return read_id(read_object(payload, ROOT_FIELD).get("id"), "id")
