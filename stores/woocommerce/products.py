"""Map a WooCommerce product or variation (webhook body or REST item) to Storelink's product record.

Pure functions: the fields and their rules are `shapes.PRODUCT`; this module lays the values
read out as the record and holds the one rule between fields, which product is a variation
and whose (`kind_and_parent`), which the receiver's quick check applies too.
"""

from typing import Any

from stores.woocommerce.readers import (
    NO_PARENT,
    NOT_VARIATION,
    REQUIRED,
    ROOT_FIELD,
    MappingError,
    read_id,
    read_object,
)
from stores.woocommerce.shapes import PRODUCT

# Product type of a variation; only variations carry a parent in our records.
VARIATION_TYPE = "variation"

# An item of /products/<id>/variations: the caller gives the parent, its `parent_id` is not read.
_LISTED_VARIATION = PRODUCT.without("parent_id")


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
    payload = read_object(payload, ROOT_FIELD)
    if parent_external_id is None:
        product = PRODUCT.read(payload)
        kind, parent = kind_and_parent(product["type"], product["parent_id"])
    else:
        product = _LISTED_VARIATION.read(payload)
        kind, parent = kind_and_parent(product["type"], read_id(parent_external_id, "parent_external_id"), given=True)
    return {
        "external_id": product["id"],
        "parent_external_id": parent,
        "type": kind,
        "name": product["name"],
        "sku": product["sku"],
        "status": product["status"],
        "price": product["price"],
        "regular_price": product["regular_price"],
        "sale_price": product["sale_price"],
        "stock_quantity": product["stock_quantity"],
        "stock_status": product["stock_status"],
        "manage_stock": product["manage_stock"],
        "created_at": product["date_created_gmt"],
        "modified_at": product["date_modified_gmt"],
    }


def kind_and_parent(kind: str | None, parent: str | None, *, given: bool = False) -> tuple[str, str | None]:
    """The product's type and its variation parent, from its `type` and a parent id (`given` by the caller, or read).

    A missing type with a parent is a variation; a variation needs a parent; only a variation
    keeps one. A parent the caller gives must not contradict the type.
    """
    if kind is None:
        if parent is None:
            raise MappingError("type", REQUIRED)
        kind = VARIATION_TYPE
    elif given and kind != VARIATION_TYPE:
        raise MappingError("type", NOT_VARIATION)
    if kind != VARIATION_TYPE:
        return kind, None
    if parent is None:
        raise MappingError("parent_id", NO_PARENT)
    return kind, parent
