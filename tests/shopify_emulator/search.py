"""Shopify's search syntax (`updated_at:>='2026-05-01T10:00:00Z' status:active`) and cursor pagination.

Terms are ANDed (space or `AND`); `field:value`, `field:>value`, `>=`, `<`, `<=`; values may be
quoted with ' or ". Fields a list does not know are ignored, as Shopify ignores them. Cursors
are opaque keyset positions (sort value and id), so records changing between pages neither
repeat nor go missing in ways the real API would not.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from .values import to_timestamp

MAX_PAGE_SIZE = 250
TERM = re.compile(r"""(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|"[^"]*"|\S+)""")
TIME_FIELDS = ("updated_at", "created_at", "processed_at")


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: Any


def parse_query(query: str | None) -> list[Term]:
    """The terms of a search query (unknown syntax is skipped, as Shopify treats it as free text)."""
    terms = []
    for match in TERM.finditer(query or ""):
        field, op, value = match["field"], match["op"] or "=", match["value"]
        if value[:1] in "'\"" and value[-1:] == value[:1]:
            value = value[1:-1]
        if field in TIME_FIELDS:
            try:
                value = int(to_timestamp(value if "T" in value else value + "T00:00:00"))
            except (TypeError, ValueError):
                continue  # Shopify ignores a date it cannot read
        elif field == "id":
            try:
                value = int(value)
            except ValueError:
                continue
        terms.append(Term(field, op, value))
    return terms


def matches(record: dict[str, Any], terms: list[Term], fields: dict[str, Callable[[dict], Any]]) -> bool:
    """Whether a record passes every term on a field this list knows."""
    for term in terms:
        getter = fields.get(term.field)
        if getter is None:
            continue
        actual = getter(record)
        expected = term.value
        if isinstance(actual, str) and isinstance(expected, str):
            actual, expected = actual.lower(), expected.lower()
        if actual is None:
            return False
        ok = {
            "=": actual == expected, ">": actual > expected, ">=": actual >= expected,
            "<": actual < expected, "<=": actual <= expected,
        }[term.op]
        if not ok:
            return False
    return True


def encode_cursor(value: Any, record_id: int) -> str:
    """An opaque cursor: the record's sort value and id."""
    return base64.b64encode(json.dumps({"last_value": value, "last_id": record_id}).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    """(sort value, id) of a cursor; a GraphQL error for anything else, as Shopify answers."""
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort.: {cursor}") from None


def check_page_arguments(first: int | None, last: int | None, limit: int = MAX_PAGE_SIZE) -> None:
    """first or last, at most 250, as Shopify requires."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > limit):
            raise GraphQLError(f"The maximum page size is {limit}; `{name}: {value}` is not allowed.")


def paginate(
    records: list[dict[str, Any]], sort_value: Callable[[dict], Any], make_node: Callable[[dict], Any],
    args: dict[str, Any], *, unlimited: bool = False,
) -> dict[str, Any]:
    """A connection over `records` ordered by (sort value, id), honouring first/after/last/before/reverse."""
    if not unlimited:
        check_page_arguments(args.get("first"), args.get("last"))
    keyed = sorted(((sort_value(record), record["id"], record) for record in records), key=lambda k: (k[0], k[1]))
    if args.get("reverse"):
        keyed.reverse()
    descending = bool(args.get("reverse"))

    def after(key: tuple[Any, int], cursor: str) -> bool:
        position = decode_cursor(cursor)
        return key > position if not descending else key < position

    if args.get("after"):
        keyed = [k for k in keyed if after((k[0], k[1]), args["after"])]
    if args.get("before"):
        keyed = [k for k in keyed if after(decode_cursor(args["before"]), encode_cursor(k[0], k[1]))]
    total = len(keyed)
    if unlimited:
        page, has_next, has_previous = keyed, False, bool(args.get("after"))
    elif args.get("first") is not None:
        page = keyed[: args["first"]]
        has_next, has_previous = total > len(page), bool(args.get("after"))
    else:
        page = keyed[max(0, total - args["last"]):]
        has_next, has_previous = bool(args.get("before")), total > len(page)
    edges = [{"cursor": encode_cursor(value, record_id), "node": make_node(record)} for value, record_id, record in page]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
