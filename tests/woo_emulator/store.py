"""The store's state: records, id sequences, the clock, and the events mutations raise."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .phpcompat import sanitize_title

WC_VERSION = "9.9.5"
WP_VERSION = "6.9"
# targetHints.allow of a record's self link: the key's user may use every method.
SELF_ALLOW = ("GET", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_CATEGORY = {"id": 15, "name": "Uncategorized", "slug": "uncategorized"}
# Ids the store hands out first; the captured store had used ids below these.
FIRST_POST_ID = 100
FIRST_ITEM_ID = 200
FIRST_META_ID = 2000
FIRST_TERM_ID = 16
# Currency symbol as text (order currency_symbol) and as the HTML entity price_html uses.
CURRENCY_SYMBOLS = {
    "USD": ("$", "&#36;"), "EUR": ("€", "&euro;"), "GBP": ("£", "&pound;"), "SEK": ("kr", "&#107;&#114;"),
}

Listener = Callable[[str, str, int], None]


class ManualClock:
    """A clock tests move by hand; call it for the current Unix time."""

    def __init__(self, start: float | datetime.datetime | str | None = None):
        self._now = time.time()
        if start is not None:
            self.set(start)

    def __call__(self) -> float:
        return self._now

    def set(self, when: float | datetime.datetime | str) -> None:
        """Jump to a Unix time, an aware datetime, or an ISO string (naive means UTC)."""
        if isinstance(when, str):
            when = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if isinstance(when, datetime.datetime):
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            when = when.timestamp()
        self._now = float(when)

    def advance(self, seconds: float = 1.0) -> float:
        """Move forward and answer the new time."""
        self._now += seconds
        return self._now


@dataclass(frozen=True)
class Urls:
    """How the store writes URLs for one response: home for pages, the REST root for links."""

    home: str
    pretty_permalinks: bool = True

    def rest(self, route: str) -> str:
        """WordPress rest_url(route): with plain permalinks `index.php?rest_route=` (spelt out for nginx)."""
        if self.pretty_permalinks:
            return f"{self.home}/wp-json{route}"
        return f"{self.home}/index.php?rest_route={route}"


def money(value: Any) -> Decimal:
    """A decimal from a string, number or Decimal (empty means zero)."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def money_text(value: Decimal, decimals: int = 2) -> str:
    """An amount as WooCommerce prints it in the REST API: fixed decimals."""
    return str(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def price_text(value: Any) -> str:
    """A product price as stored: the string as given, numbers without float noise."""
    if value in (None, ""):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Store:
    """All records of the emulated store, behind one lock."""

    def __init__(self, clock: Callable[[], float], timezone_offset_hours: float = 0.0):
        self.lock = threading.RLock()
        self.clock = clock
        self.timezone_offset_hours = timezone_offset_hours
        self.currency = "USD"
        # woocommerce_price_num_decimals: amounts the store formats (order totals, a variable
        # product's price) have this many decimals; prices as entered are kept as entered.
        self.price_decimals = 2
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.categories: dict[int, dict[str, Any]] = {DEFAULT_CATEGORY["id"]: dict(DEFAULT_CATEGORY)}
        self.listeners: list[Listener] = []
        self._next = {"post": FIRST_POST_ID, "item": FIRST_ITEM_ID, "meta": FIRST_META_ID, "term": FIRST_TERM_ID}

    def money_text(self, value: Decimal) -> str:
        """An amount as this store formats it (wc_format_decimal with wc_get_price_decimals())."""
        return money_text(value, self.price_decimals)

    def now(self) -> datetime.datetime:
        """The store's current time: naive UTC, whole seconds."""
        return datetime.datetime.fromtimestamp(int(self.clock()), datetime.timezone.utc).replace(tzinfo=None)

    def local(self, moment: datetime.datetime | None) -> str | None:
        """A GMT moment as the store's local time, the way the REST API prints it."""
        if moment is None:
            return None
        return (moment + datetime.timedelta(hours=self.timezone_offset_hours)).strftime("%Y-%m-%dT%H:%M:%S")

    def gmt(self, moment: datetime.datetime | None) -> str | None:
        """A GMT moment, the way the REST API prints it."""
        return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S")

    def to_gmt(self, local: datetime.datetime) -> datetime.datetime:
        """A naive store-local time as GMT."""
        return local - datetime.timedelta(hours=self.timezone_offset_hours)

    def next_id(self, sequence: str, wanted: int | None = None) -> int:
        """The next id of a sequence ("post", "item", "meta", "term"), or `wanted` if given."""
        if wanted is not None:
            wanted = int(wanted)
            self._next[sequence] = max(self._next[sequence], wanted + 1)
            return wanted
        value = self._next[sequence]
        self._next[sequence] += 1
        return value

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """Tell listeners (the webhooks) that a record changed."""
        for listener in self.listeners:
            listener(resource, event, resource_id)

    def currency_symbol(self, currency: str) -> tuple[str, str]:
        """The symbol as text and as the HTML entity price_html uses."""
        return CURRENCY_SYMBOLS.get(currency, (currency, currency))

    def category(self, reference: Any) -> dict[str, Any] | None:
        """A product category by id, {"id": n}, or name (created on first use by name)."""
        if isinstance(reference, dict):
            reference = reference.get("id") or reference.get("name")
        if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
            return self.categories.get(int(reference))
        if isinstance(reference, str) and reference:
            for category in self.categories.values():
                if category["name"] == reference:
                    return category
            term_id = self.next_id("term")
            self.categories[term_id] = {"id": term_id, "name": reference, "slug": sanitize_title(reference)}
            return self.categories[term_id]
        return None

    def meta_list(self, entries: Any) -> list[dict[str, Any]]:
        """meta_data input as stored entries with ids."""
        stored = []
        for entry in entries or []:
            meta_id = self.next_id("meta", entry.get("id"))
            stored.append({"id": meta_id, "key": entry["key"], "value": entry.get("value")})
        return stored


def parse_moment(store: Store, value: Any, gmt: bool) -> datetime.datetime:
    """A datetime or ISO string as naive GMT (naive input is local unless `gmt`)."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(int(value), datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime.datetime):
        raise ValueError(f"not a date-time: {value!r}")
    if value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    value = value.replace(microsecond=0)
    return value if gmt else store.to_gmt(value)
