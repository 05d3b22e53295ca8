"""The fields of each record WooCommerce sends, each with its kind: the one place their rules are declared.

A kind pairs a reader of `readers.py` (what the mapper keeps of a value, or a `MappingError`
naming the field) with the msgspec type of the values the receiver's quick check vouches for.
From one `Shape` come both the mapper's reading of a record (`Shape.read`, used by
`orders.py` and `products.py`) and the quick check's msgspec struct (`Shape.struct`, used by
`quickcheck.py`), so a field, its kind and whether it is required are written once.

A kind's quick type may be narrower than its reader, never wider: what it lets through, the
reader accepts; what it refuses goes to the reader, which decides and names the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple, Union

import msgspec
from msgspec import Meta

from stores.woocommerce.readers import (
    MANAGE_STOCK_FROM_PARENT,
    MAX_INT,
    MAX_MONEY_DIGITS,
    MONEY_PATTERN,
    NO_REFERENCE,
    NOT_ORDER,
    NOT_PRODUCT,
    REQUIRED,
    MappingError,
    read_address,
    read_id,
    read_int,
    read_list,
    read_manage_stock,
    read_money,
    read_object,
    read_order_number,
    read_price,
    read_reference,
    read_text,
    read_utc,
)


class Kind(NamedTuple):
    """How a field is read: the mapper's reader, and the msgspec type of the non-null values the quick check vouches for."""

    read: Callable[[Any, str], Any]
    quick: Any


class Field(NamedTuple):
    """A field of a record: its name in the payload, its kind, and whether absent or null is refused."""

    name: str
    kind: Kind
    required: bool = False


class Shape:
    """A record's fields; reads a payload for the mapper and gives the quick check its struct."""

    def __init__(self, name: str, *fields: Field) -> None:
        self.name = name
        self.fields = fields
        self._readers = tuple((field.name, _required(field.kind.read) if field.required else field.kind.read) for field in fields)
        self.struct = msgspec.defstruct(
            name,
            [(field.name, field.kind.quick) if field.required else (field.name, Union[field.kind.quick, None], None) for field in fields],
            kw_only=True,
        )

    def read(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Every declared field of a JSON object, read by its kind; raises MappingError naming the first bad field."""
        get = payload.get
        return {name: read(get(name), name) for name, read in self._readers}

    def without(self, name: str) -> Shape:
        """The same shape less one field, for a caller that supplies that field itself."""
        return Shape(self.name, *(field for field in self.fields if field.name != name))

    def names_of(self, *kinds: Kind) -> tuple[str, ...]:
        """The names of the fields of these kinds."""
        return tuple(field.name for field in self.fields if field.kind in kinds)


def _required(read: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """A reader that refuses absent and null before `read` sees the value."""

    def read_required(value: Any, field: str) -> Any:
        if value is None:
            raise MappingError(field, REQUIRED)
        return read(value, field)

    return read_required


def list_of(shape: Shape) -> Kind:
    """A JSON array of objects of `shape` (absent or null is empty); errors name the item: `line_items[0].id`."""

    def read(value: Any, field: str) -> list[dict[str, Any]]:
        return [_read_item(shape, item, f"{field}[{index}]") for index, item in enumerate(read_list(value, field))]

    return Kind(read, list[shape.struct])


def _read_item(shape: Shape, value: Any, field: str) -> dict[str, Any]:
    item = read_object(value, field)
    try:
        return shape.read(item)
    except MappingError as error:
        # The full field name is written only for an error: orders carry many items.
        raise MappingError(f"{field}.{error.field}", error.reason) from None


def absent(reason: str) -> Kind:
    """A field the other record has: refused with `reason` unless absent or null."""

    def read(value: Any, field: str) -> None:
        if value is not None:
            raise MappingError(field, reason)

    return Kind(read, None)


# The quick types: ids within a signed 64-bit integer (the readers take WordPress's unsigned
# range), floats in any range (`quickcheck` checks their range after the read), dates in the
# one form WooCommerce writes and without 29 February (the reader takes leap days, fractions
# and offsets).
_INT64 = Annotated[int, Meta(ge=-MAX_INT, le=MAX_INT)]
_MONEY_TEXT = Annotated[str, Meta(pattern=rf"^{MONEY_PATTERN}\Z", max_length=MAX_MONEY_DIGITS)]
# Valid calendar days without 29 February: months of 31 days, months of 30, then February.
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)

ID = Kind(read_id, Union[Annotated[int, Meta(ge=1, le=MAX_INT)], Annotated[str, Meta(pattern=r"^[1-9][0-9]{0,18}\Z")]])
REFERENCE = Kind(read_reference, Union[Annotated[int, Meta(ge=NO_REFERENCE, le=MAX_INT)], Annotated[str, Meta(pattern=r"^(?:0|[1-9][0-9]{0,18})\Z")]])
TEXT = Kind(read_text, str)
ORDER_NUMBER = Kind(read_order_number, Union[str, _INT64])
INTEGER = Kind(read_int, _INT64)
MONEY = Kind(read_money, Union[_MONEY_TEXT, _INT64, float])
# A product price may also be "" (not set).
PRICE = Kind(read_price, Union[Annotated[str, Meta(pattern=rf"^(?:{MONEY_PATTERN})?\Z", max_length=MAX_MONEY_DIGITS)], _INT64, float])
DATETIME = Kind(read_utc, Annotated[str, Meta(pattern=rf"^[1-9][0-9]{{3}}-{_MONTH_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\Z")])
MANAGE_STOCK = Kind(read_manage_stock, Union[bool, Literal[MANAGE_STOCK_FROM_PARENT]])
# PHP writes an empty address as `[]`.
ADDRESS = Kind(read_address, Union[dict[str, Union[str, None]], Annotated[list, Meta(max_length=0)]])

LINE_ITEM = Shape(
    "LineItemShape",
    Field("id", ID, required=True),
    Field("product_id", REFERENCE),
    Field("variation_id", REFERENCE),
    Field("sku", TEXT),
    Field("name", TEXT),
    Field("quantity", INTEGER),
    Field("price", MONEY),
    Field("total", MONEY),
    Field("subtotal", MONEY),  # before discounts: the order's subtotal sums them
)
LINE_ITEMS = list_of(LINE_ITEM)

ORDER = Shape(
    "OrderShape",
    Field("type", absent(NOT_ORDER)),  # the topic that picks the mapper is not signed
    Field("id", ID, required=True),
    Field("billing", ADDRESS),
    Field("shipping", ADDRESS),
    Field("line_items", LINE_ITEMS),
    Field("total", MONEY),
    Field("number", ORDER_NUMBER),
    Field("status", TEXT),
    Field("currency", TEXT),
    Field("total_tax", MONEY),
    Field("shipping_total", MONEY),
    Field("discount_total", MONEY),
    Field("payment_method", TEXT),
    Field("customer_id", REFERENCE),
    Field("date_created_gmt", DATETIME),
    Field("date_modified_gmt", DATETIME, required=True),
    Field("date_paid_gmt", DATETIME),
    Field("date_completed_gmt", DATETIME),
)

PRODUCT = Shape(
    "ProductShape",
    Field("line_items", absent(NOT_PRODUCT)),  # the topic that picks the mapper is not signed
    Field("id", ID, required=True),
    Field("type", TEXT),  # required unless a parent makes the product a variation: `products.kind_and_parent`
    Field("parent_id", REFERENCE),
    Field("name", TEXT),
    Field("sku", TEXT),
    Field("status", TEXT),
    Field("price", PRICE),
    Field("regular_price", PRICE),
    Field("sale_price", PRICE),
    Field("stock_quantity", INTEGER),
    Field("stock_status", TEXT),
    Field("manage_stock", MANAGE_STOCK),
    Field("date_created_gmt", DATETIME),
    Field("date_modified_gmt", DATETIME, required=True),
)
