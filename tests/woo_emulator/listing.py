"""Collection filters shared by orders and products: ids, dates, ordering."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from .phpcompat import wp_parse_list
from .restserver import RestRequest
from .schema import parse_rest_date, to_boolean
from .store import Store

# Collection date parameters and the record field each one bounds (all exclusive).
DATE_FILTERS = {
    "after": ("created", "after"),
    "before": ("created", "before"),
    "modified_after": ("modified", "after"),
    "modified_before": ("modified", "before"),
}


def id_list(value: Any) -> list[int]:
    """wp_parse_id_list()."""
    return [abs(int(float(item))) for item in wp_parse_list(value or [])]


def query_moment(store: Store, value: str, dates_are_gmt: bool) -> datetime.datetime:
    """A date parameter as GMT: its own offset wins, then dates_are_gmt, else the store's time zone."""
    parsed = parse_rest_date(value)
    assert parsed is not None, "validated before"
    moment, offset = parsed
    if offset is not None:
        return moment - offset
    return moment if dates_are_gmt else store.to_gmt(moment)


def filter_records(store: Store, records: list[dict[str, Any]], request: RestRequest) -> list[dict[str, Any]]:
    """Apply include, exclude, parent and the date windows."""
    include = id_list(request.param("include"))
    exclude = id_list(request.param("exclude"))
    parents = id_list(request.param("parent"))
    parent_exclude = id_list(request.param("parent_exclude"))
    dates_are_gmt = to_boolean(request.param("dates_are_gmt", False))
    windows = []
    for name, (attribute, side) in DATE_FILTERS.items():
        value = request.param(name)
        if value:
            windows.append((attribute, side, query_moment(store, value, dates_are_gmt)))
    chosen = []
    for record in records:
        if include and record["id"] not in include:
            continue
        if record["id"] in exclude:
            continue
        if parents and record["parent_id"] not in parents:
            continue
        if record["parent_id"] in parent_exclude:
            continue
        if any(not _within(record[attribute], side, bound) for attribute, side, bound in windows):
            continue
        chosen.append(record)
    return chosen


def _within(moment: datetime.datetime, side: str, bound: datetime.datetime) -> bool:
    """Strictly after or strictly before the bound, to the second."""
    return moment > bound if side == "after" else moment < bound


def sort_records(records: list[dict[str, Any]], request: RestRequest, keys: dict[str, Callable[[dict], Any]]) -> list:
    """Order by the `orderby` key (ties by id in the same direction); "include" keeps the given order."""
    orderby = request.param("orderby", "date")
    descending = request.param("order", "desc") == "desc"
    if orderby in ("include", "post__in"):
        order = id_list(request.param("include"))
        return sorted(records, key=lambda record: order.index(record["id"]) if record["id"] in order else len(order))
    key = keys.get(orderby, keys["date"])
    return sorted(records, key=lambda record: (key(record), record["id"]), reverse=descending)
