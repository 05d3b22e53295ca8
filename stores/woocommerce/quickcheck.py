"""A fast, conservative check that an order or product body maps: read and checked in one pass in C.

The receiver must answer a malformed delivery 400 before it acknowledges anything, so every
delivery is checked against the mapper's rules while the store waits. Reading the body and
running `map_order` over it took about 60 µs per 4 KB order on the development machine, and
with that check switched off the receiver answered 45% more deliveries under load (ingest
0.61 -> 0.88 of bare Flask). msgspec reads the same body into the typed shapes below, which
restate the mapper's field rules as types, in about 25 µs.

The contract: `order_maps(body)` / `product_maps(body)` answer True only for a body that
`map_order` / `map_product` (`mapping.py`) accepts once parsed by the standard `json`
module; False says nothing either way, and the caller then asks the mapper, which decides
and names the field. So the shapes may be narrower than the mapper, never wider:
- ids and references: 64-bit signed integers or strings of at most 19 digits (the mapper
  takes WordPress's full unsigned range);
- money: strings of at most `MAX_MONEY_DIGITS` characters, 64-bit integers, and floats
  within `FLOAT_MONEY_RANGE` (or zero), whose `str()` is always within the mapper's digits;
- dates: `YYYY-MM-DDTHH:MM:SS` only (no fraction, no offset, no space), years from 1000, no
  29 February (the mapper takes leap days, fractions and offsets: those bodies go to it);
- a product without `type`, or a variation without a parent, goes to the mapper.

The rules that types cannot say (float money's range around zero, a variation's parent) are
checked after the read. `tests/test_quickcheck.py` holds both to the contract: every field the
mapper reads is declared here, and, for generated bodies and values, whatever this accepts the
mapper accepts.
"""

from typing import Annotated, Literal, Union

import msgspec
from msgspec import Meta, Struct

from stores.woocommerce.mapping import MANAGE_STOCK_FROM_PARENT, MAX_INT, MAX_MONEY_DIGITS, NO_REFERENCE, VARIATION_TYPE

# Money read as a float is taken here only in this range (or zero). The mapper writes a
# float as `str()` does, with at most 17 significant digits: within this range those are at
# most 36 digits in fixed-point notation, inside the mapper's MAX_MONEY_DIGITS.
FLOAT_MONEY_RANGE = (1e-20, 1e15)
_FLOAT_LOW, _FLOAT_HIGH = FLOAT_MONEY_RANGE

_Int64 = Annotated[int, Meta(ge=-MAX_INT, le=MAX_INT)]
_Id = Union[Annotated[int, Meta(ge=1, le=MAX_INT)], Annotated[str, Meta(pattern=r"^[1-9][0-9]{0,18}\Z")]]
_Reference = Union[None, Annotated[int, Meta(ge=NO_REFERENCE, le=MAX_INT)], Annotated[str, Meta(pattern=r"^(?:0|[1-9][0-9]{0,18})\Z")]]
_Text = Union[str, None]
_MONEY_PATTERN = r"-?[0-9]+(?:\.[0-9]+)?"
_Money = Union[None, Annotated[str, Meta(pattern=rf"^{_MONEY_PATTERN}\Z", max_length=MAX_MONEY_DIGITS)], _Int64, float]
# A product price may also be "" (not set).
_Price = Union[None, Annotated[str, Meta(pattern=rf"^(?:{_MONEY_PATTERN})?\Z", max_length=MAX_MONEY_DIGITS)], _Int64, float]
# Valid calendar days without 29 February: months of 31 days, months of 30, then February.
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DATETIME = Annotated[str, Meta(pattern=rf"^[1-9][0-9]{{3}}-{_MONTH_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\Z")]
_Datetime = Union[_DATETIME, None]
# PHP writes an empty address as `[]`.
_Address = Union[None, dict[str, _Text], Annotated[list, Meta(max_length=0)]]


class LineItemShape(Struct):
    """An order's line item as `mapping._line_item` and `_subtotal` read it."""

    id: _Id
    product_id: _Reference = None
    variation_id: _Reference = None
    sku: _Text = None
    name: _Text = None
    quantity: Union[_Int64, None] = None
    price: _Money = None
    total: _Money = None
    subtotal: _Money = None


class OrderShape(Struct):
    """An order as `mapping.map_order` reads it; other fields are skipped."""

    id: _Id
    date_modified_gmt: _DATETIME
    type: None = None  # a product's field: the mapper refuses it in an order
    number: Union[str, None, _Int64] = None
    status: _Text = None
    currency: _Text = None
    total: _Money = None
    total_tax: _Money = None
    shipping_total: _Money = None
    discount_total: _Money = None
    payment_method: _Text = None
    customer_id: _Reference = None
    billing: _Address = None
    shipping: _Address = None
    line_items: Union[list[LineItemShape], None] = None
    date_created_gmt: _Datetime = None
    date_paid_gmt: _Datetime = None
    date_completed_gmt: _Datetime = None


class ProductShape(Struct):
    """A product or variation as `mapping.map_product` reads a webhook body; other fields are skipped."""

    id: _Id
    type: str
    date_modified_gmt: _DATETIME
    parent_id: _Reference = None
    name: _Text = None
    sku: _Text = None
    status: _Text = None
    price: _Price = None
    regular_price: _Price = None
    sale_price: _Price = None
    stock_quantity: Union[_Int64, None] = None
    stock_status: _Text = None
    manage_stock: Union[None, bool, Literal[MANAGE_STOCK_FROM_PARENT]] = None
    date_created_gmt: _Datetime = None
    line_items: None = None  # an order's field: the mapper refuses it in a product


_ORDER = msgspec.json.Decoder(OrderShape)
_PRODUCT = msgspec.json.Decoder(ProductShape)


def order_maps(body: bytes) -> bool:
    """True only if `map_order` accepts this body; False: ask the mapper."""
    try:
        order = _ORDER.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return False
    if not _money_in_range(order.total, order.total_tax, order.shipping_total, order.discount_total):
        return False
    for item in order.line_items or ():
        if not _money_in_range(item.price, item.total, item.subtotal):
            return False
    return True


def product_maps(body: bytes) -> bool:
    """True only if `map_product` (webhook body, no parent given) accepts this body; False: ask the mapper."""
    try:
        product = _PRODUCT.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return False
    if product.type == VARIATION_TYPE and product.parent_id in (None, NO_REFERENCE, str(NO_REFERENCE)):
        return False
    return _money_in_range(product.price, product.regular_price, product.sale_price)


def _money_in_range(*amounts: object) -> bool:
    """Whether every amount read as a float is zero or within FLOAT_MONEY_RANGE (others passed their types)."""
    for amount in amounts:
        if type(amount) is float and amount and not _FLOAT_LOW <= abs(amount) <= _FLOAT_HIGH:
            return False
    return True
