"""Walk a store's collections page by page, building every page URL ourselves.

The `Link` header is never followed: it repeats the caller's OAuth parameters, which are
single use. Two walks are offered:

- `iter_changed`: records modified after a time, oldest change first, by *keyset*: each
  request asks for what changed after the newest change already seen (less a second,
  since the filter is exclusive with one-second resolution). Page numbers over a set that
  changes while we read it would skip records; a keyset does not.
- `iter_ids`: every id of a collection (`_fields=id`), for reconciliation. Positions can
  shift while it runs, so callers confirm what looks missing before acting on it.

`with_variations` follows a page of products with each variable one's variations, named as
webhooks name them.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stores.woocommerce.client import MAX_PER_PAGE, WooCommerceClient

# The modified_after filter is exclusive and counts whole seconds.
FILTER_RESOLUTION = timedelta(seconds=1)
# WooCommerce's date filter format with dates_are_gmt=true: no offset, UTC.
GMT_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Ids per `include=` request when confirming that records are gone.
INCLUDE_BATCH = 100


@dataclass(frozen=True)
class Page:
    """One page of records, and how far the walk has got."""

    records: list[dict]
    pages_done: int
    pages_total: int
    newest_change: datetime | None


def gmt(moment: datetime) -> str:
    """A UTC time in the form WooCommerce's date filters take with dates_are_gmt=true."""
    return moment.astimezone(UTC).strftime(GMT_FORMAT)


def modified_time(record: dict) -> datetime | None:
    """A record's `date_modified_gmt` as an aware datetime, or None."""
    value = record.get("date_modified_gmt")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=UTC)
    except ValueError:
        return None


def iter_changed(
    client: WooCommerceClient,
    path: str,
    *,
    since: datetime | None,
    until: datetime,
    params: dict | None = None,
    per_page: int = MAX_PER_PAGE,
) -> Iterator[Page]:
    """Pages of records modified after `since` (all when None), oldest change first.

    Stops once a page reaches `until` (the moment the poll started): later changes belong
    to the next poll, which keeps a store under constant change from holding a poll open.
    """
    base = {**(params or {}), "orderby": "modified", "order": "asc", "per_page": per_page, "dates_are_gmt": "true"}
    after, page_number, pages_done = since, 1, 0
    while True:
        query = dict(base, page=page_number)
        if after is not None:
            query["modified_after"] = gmt(after)
        response = client.get(path, query)
        records = [record for record in response.body if isinstance(record, dict)] if isinstance(response.body, list) else []
        pages_done += 1
        remaining = max(0, (response.total_pages or 0) - page_number)
        times = [moment for moment in map(modified_time, records) if moment is not None]
        newest = max(times) if times else None
        yield Page(records, pages_done, pages_done + remaining, newest)
        if len(records) < per_page or newest is None or newest >= until:
            return
        next_after = newest - FILTER_RESOLUTION
        if after is not None and next_after <= after:
            # More than a page changed within one second: page through that second.
            page_number += 1
        else:
            after, page_number = next_after, 1


def iter_ids(
    client: WooCommerceClient, path: str, *, params: dict | None = None, fields: str = "id", per_page: int = MAX_PER_PAGE
) -> Iterator[Page]:
    """Pages of `{"id": ...}` records (plus any other `fields`), by id."""
    page_number = 1
    while True:
        query = {**(params or {}), "_fields": fields, "orderby": "id", "order": "asc", "per_page": per_page, "page": page_number}
        response = client.get(path, query)
        records = [record for record in response.body if isinstance(record, dict)] if isinstance(response.body, list) else []
        yield Page(records, page_number, max(page_number, response.total_pages or 0), None)
        if len(records) < per_page or page_number >= (response.total_pages or page_number):
            return
        page_number += 1


def existing_ids(client: WooCommerceClient, path: str, ids: list[str], *, params: dict | None = None) -> set[str]:
    """Which of `ids` the store still has (asked `include=` in batches)."""
    found: set[str] = set()
    for start in range(0, len(ids), INCLUDE_BATCH):
        batch = ids[start : start + INCLUDE_BATCH]
        query = {**(params or {}), "include": ",".join(batch), "_fields": "id", "per_page": INCLUDE_BATCH}
        response = client.get(path, query)
        if isinstance(response.body, list):
            found.update(str(record.get("id")) for record in response.body if isinstance(record, dict))
    return found


def with_variations(client: WooCommerceClient, page: Page) -> list[tuple[dict, str | None]]:
    """A page's products, each variable one followed by its variations (with the parent's id)."""
    records: list[tuple[dict, str | None]] = []
    for product in page.records:
        records.append((product, None))
        if product.get("type") == "variable":
            records.extend((variation, str(product.get("id"))) for variation in _variations(client, product))
    return records


def _variations(client: WooCommerceClient, product: dict) -> list[dict]:
    """Every variation of a variable product, page by page, named as webhooks name them."""
    variations: list[dict] = []
    page = 1
    while True:
        response = client.get(f"products/{product['id']}/variations", {"per_page": 100, "page": page})
        batch = [item for item in response.body if isinstance(item, dict)] if isinstance(response.body, list) else []
        variations.extend(_full_name(variation, product) for variation in batch)
        if len(batch) < 100 or page >= (response.total_pages or page):
            return variations
        page += 1


def _full_name(variation: dict, product: dict) -> dict:
    """The variations endpoint names a variation "L, Red"; webhooks "Variable Jacket - L, Red"."""
    name, parent_name = variation.get("name"), product.get("name")
    if isinstance(name, str) and isinstance(parent_name, str) and name and not name.startswith(parent_name):
        return {**variation, "name": f"{parent_name} - {name}"}
    return variation
