"""A fast, conservative check that an order or product body maps: read and checked in one pass in C.

The receiver must answer a malformed delivery 400 before it acknowledges anything, so every
delivery is checked against the mapper's rules while the store waits. msgspec reads the body
into the structs of `shapes.ORDER` and `shapes.PRODUCT`: the same declaration of fields and
kinds the mapper reads by, so the two cannot drift apart. The README's Performance section
says what this saves over `json.loads` and the mapper.

The contract: `order_maps(body)` / `product_maps(body)` answer True only for a body that
`map_order` / `map_product` (`mapping.py`) accepts once parsed by the standard `json`
module; False says nothing either way, and the caller then asks the mapper, which decides
and names the field. So each kind's quick type may be narrower than its reader, never wider
(`shapes.py` says where it is narrower).

After the read, two rules the types cannot say: money read as a float must be zero or within
`FLOAT_MONEY_RANGE`, and `products.kind_and_parent` (the mapper's own rule) must accept the
product's type and parent. `tests/test_quickcheck.py` holds both to the contract for
generated bodies and values.
"""

from operator import attrgetter

import msgspec

from stores.woocommerce.products import kind_and_parent
from stores.woocommerce.readers import MappingError, read_reference
from stores.woocommerce.shapes import LINE_ITEM, MONEY, ORDER, PRICE, PRODUCT

# Money read as a float is taken here only in this range (or zero). The mapper writes a
# float as `str()` does, with at most 17 significant digits: within this range those are at
# most 36 digits in fixed-point notation, inside the mapper's MAX_MONEY_DIGITS.
FLOAT_MONEY_RANGE = (1e-20, 1e15)
_FLOAT_LOW, _FLOAT_HIGH = FLOAT_MONEY_RANGE

# The structs, named as the shapes name them.
LineItemShape = LINE_ITEM.struct
OrderShape = ORDER.struct
ProductShape = PRODUCT.struct

_ORDER = msgspec.json.Decoder(OrderShape)
_PRODUCT = msgspec.json.Decoder(ProductShape)


def _amounts(shape) -> attrgetter:
    """A getter of a struct's amounts: a tuple of the values of its money fields."""
    names = shape.names_of(MONEY, PRICE)
    return attrgetter(*names, names[0])  # two names at least, so it always answers a tuple


_ORDER_AMOUNTS = _amounts(ORDER)
_LINE_ITEM_AMOUNTS = _amounts(LINE_ITEM)
_PRODUCT_AMOUNTS = _amounts(PRODUCT)


def order_maps(body: bytes) -> bool:
    """True only if `map_order` accepts this body; False: ask the mapper."""
    try:
        order = _ORDER.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return False
    if not _money_in_range(_ORDER_AMOUNTS(order)):
        return False
    for item in order.line_items or ():
        if not _money_in_range(_LINE_ITEM_AMOUNTS(item)):
            return False
    return True


def product_maps(body: bytes) -> bool:
    """True only if `map_product` (webhook body, no parent given) accepts this body; False: ask the mapper."""
    try:
        product = _PRODUCT.decode(body)
        kind_and_parent(product.type, read_reference(product.parent_id, "parent_id"))
    except (msgspec.MsgspecError, RecursionError, MappingError):
        return False
    return _money_in_range(_PRODUCT_AMOUNTS(product))


def _money_in_range(amounts: tuple) -> bool:
    """Whether every amount read as a float is zero or within FLOAT_MONEY_RANGE (others passed their types)."""
    for amount in amounts:
        if type(amount) is float and amount and not _FLOAT_LOW <= abs(amount) <= _FLOAT_HIGH:
            return False
    return True
