"""How one field of a Shopify record is read in each of the two shapes Shopify sends it in.

Webhook deliveries carry REST-style JSON (numeric ids, snake_case, `*_set.shop_money`);
GraphQL answers carry nodes (GIDs, camelCase, `MoneyBag.shopMoney`). A `Kind` pairs the
reader of each shape, a `Field` names the value in both, and a `Shape` (a record's fields,
declared once in `shapes.py`) reads a payload of either shape into the same values, so a
delivery and a poll of the same change map to the same record.

Generic readers (text, integers, money, times) are the ones every system shares
(`stores/readers.py`): strings as sent, money as canonical decimal text, times in UTC,
within the bounds of the columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from stores.errors import MappingError
from stores.readers import (
    NOT_OBJECT,
    REQUIRED,
    read_id,
    read_list,
    read_money,
    read_object,
    read_text,
)

# The two shapes of a Shopify record.
REST = "rest"
NODE = "node"

NOT_GID = "must be a Shopify id (gid://shopify/{kind}/<number>)"
NOT_CONNECTION = "must be a connection object with nodes"
_GID = re.compile(r"gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>[0-9]+)")

Reader = Callable[[Any, str], Any]


def dialect_of(payload: dict[str, Any]) -> str:
    """NODE for a GraphQL node (its `id` a GID), REST for a webhook body or anything else."""
    value = payload.get("id")
    return NODE if isinstance(value, str) and value.startswith("gid://") else REST


def read_gid(kind: str) -> Reader:
    """A reader of a GID of `kind` (`gid://shopify/Order/5678`), answering the numeric id as text."""

    def read(value: Any, field: str) -> str:
        if value is None:
            raise MappingError(field, REQUIRED)
        match = _GID.fullmatch(value) if isinstance(value, str) else None
        if match is None or match["kind"] != kind:
            raise MappingError(field, NOT_GID.format(kind=kind))
        return read_id(match["id"], field)

    return read


def gid(kind: str, external_id: str) -> str:
    """The GID of a record from its numeric id: how the GID is derived where only the id is stored."""
    return f"gid://shopify/{kind}/{external_id}"


def nullable(read: Reader) -> Reader:
    """`read`, but absent or null is None."""
    return lambda value, field: None if value is None else read(value, field)


def lower(value: Any, field: str) -> str | None:
    """An enumeration's value as REST writes it: lower case (GraphQL writes `PAID`, REST `paid`)."""
    text = read_text(value, field)
    return None if text is None else text.lower()


def node_ref(kind: str) -> Reader:
    """A reference as GraphQL gives it: an object `{id: GID}`, or null."""

    def read(value: Any, field: str) -> str | None:
        if value is None:
            return None
        return read_gid(kind)(read_object(value, field).get("id"), f"{field}.id")

    return read


def shop_money(money_name: str) -> Reader:
    """A money bag's amount in the shop's currency: `shop_money.amount` (REST) or `shopMoney.amount` (GraphQL)."""
    def read(value: Any, field: str) -> str | None:
        if value is None:
            return None
        money = read_object(value, field).get(money_name)
        if money is None:
            return None
        return read_money(read_object(money, f"{field}.{money_name}").get("amount"), f"{field}.{money_name}.amount")

    return read


class Kind(NamedTuple):
    """How a field is read: the reader of the REST shape and the reader of the GraphQL shape."""

    rest: Reader
    node: Reader


def same(read: Reader) -> Kind:
    """A kind read alike in both shapes."""
    return Kind(read, read)


class Field(NamedTuple):
    """A field of a record: its name in our record, in REST and in GraphQL (None: that shape has none), its kind, and whether null is refused."""

    name: str
    rest: str | None
    node: str | None
    kind: Kind
    required: bool = False


class Shape:
    """A record's fields; reads a payload of either shape into values named as our record names them."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields

    def read(self, payload: dict[str, Any], dialect: str) -> dict[str, Any]:
        """Every declared field, read by its kind; raises MappingError naming the first bad field (as the payload names it)."""
        values = {}
        for field in self.fields:
            name = field.rest if dialect == REST else field.node
            if name is None:
                values[field.name] = None
                continue
            value = payload.get(name)
            if value is None and field.required:
                raise MappingError(name, REQUIRED)
            values[field.name] = (field.kind.rest if dialect == REST else field.kind.node)(value, name)
        return values


def _nested(shape: Shape, dialect: str, value: Any, field: str) -> dict[str, Any]:
    try:
        return shape.read(read_object(value, field), dialect)
    except MappingError as error:
        if error.field == field and error.reason == NOT_OBJECT:
            raise
        raise MappingError(f"{field}.{error.field}", error.reason) from None


def object_of(shape: Shape) -> Kind:
    """A nested object of `shape` (absent or null is None)."""
    return Kind(
        lambda value, field: None if value is None else _nested(shape, REST, value, field),
        lambda value, field: None if value is None else _nested(shape, NODE, value, field),
    )


def list_of(shape: Shape) -> Kind:
    """A list of `shape`: a JSON array in REST, a connection's `nodes` in GraphQL (absent or null is empty)."""

    def rest(value: Any, field: str) -> list[dict[str, Any]]:
        return [_nested(shape, REST, item, f"{field}[{index}]") for index, item in enumerate(read_list(value, field))]

    def node(value: Any, field: str) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, dict) or "nodes" not in value:
            raise MappingError(field, NOT_CONNECTION)
        items = read_list(value["nodes"], f"{field}.nodes")
        return [_nested(shape, NODE, item, f"{field}.nodes[{index}]") for index, item in enumerate(items)]

    return Kind(rest, node)
