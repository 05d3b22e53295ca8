"""How a poll walks a WooCommerce store: which walks each entity has, their pages, and the records gone.

Orders are walked twice (trashed orders show only with `status=trash`), each walk from a
cursor of its own; products once, each variable product followed by its variations.
Reconciliation lists every id (variations' ids come with their parent), and confirms what
looks missing before anything is marked deleted: a shifted page can hide a live record.
"""

from collections.abc import Iterator
from datetime import datetime

from stores.connector import IdPage, Page, Walk
from stores.woocommerce.client import WooCommerceClient
from stores.woocommerce.errors import UNEXPECTED_RESPONSE, StoreError
from stores.woocommerce.paging import existing_ids, gmt, iter_changed, iter_ids, with_variations

# The walks of each entity: the `status` asked for, and the schedule's column holding its cursor.
WALKS = {
    "orders": (Walk("any", "cursor"), Walk("trash", "trash_cursor")),
    "products": (Walk("any", "cursor"),),
}
# Each resource's collection in the REST API.
PATHS = {"order": "orders", "product": "products"}


def changed_pages(
    client: WooCommerceClient, entity: str, walk: Walk, *, since: datetime | None, until: datetime, order_start: datetime
) -> Iterator[Page]:
    """The entity's records with status `walk.name` changed since `since`, page by page, oldest change first."""
    if entity == "orders":
        params = {"after": gmt(order_start), "status": walk.name}
        for page in iter_changed(client, "orders", since=since or order_start, until=until, params=params):
            yield Page([(record, None) for record in page.records], page.pages_done, page.pages_total, page.newest_change)
        return
    for page in iter_changed(client, "products", since=since, until=until, params={"status": walk.name}):
        yield Page(with_variations(client, page), page.pages_done, page.pages_total, page.newest_change)


def id_pages(client: WooCommerceClient, entity: str, *, order_start: datetime) -> Iterator[IdPage]:
    """Every id the store has (orders created from `order_start` on; products with their variations)."""
    if entity == "orders":
        pages = iter_ids(client, "orders", params={"after": gmt(order_start)})
    else:
        pages = iter_ids(client, "products", fields="id,variations", params={"status": "any"})
    for page in pages:
        ids = {str(record.get("id")) for record in page.records}
        for record in page.records:
            ids.update(str(variation) for variation in record.get("variations") or [])
        yield IdPage(ids, page.pages_done, page.pages_total)


def missing_ids(client: WooCommerceClient, entity: str, candidates: list[tuple[str, str | None]]) -> list[str]:
    """Ask the store about each candidate (external id, parent): a shifted page can hide a live record."""
    if entity == "orders":
        ids = [external_id for external_id, _ in candidates]
        return sorted(set(ids) - existing_ids(client, "orders", ids))
    by_parent: dict[str | None, list[str]] = {}
    for external_id, parent in candidates:
        by_parent.setdefault(parent if parent != external_id else None, []).append(external_id)
    gone: list[str] = []
    for parent, ids in by_parent.items():
        path = f"products/{parent}/variations" if parent else "products"
        try:
            found = existing_ids(client, path, ids)
        except StoreError as error:
            if error.status != 404:
                raise
            found = set()  # the parent itself is gone, and its variations with it
        gone.extend(sorted(set(ids) - found))
    return gone


def read_record(client: WooCommerceClient, resource: str, external_id: str, parent: str | None) -> tuple[dict, str | None] | None:
    """The record as the store has it now (with its parent for a variation), or None if the store has none."""
    path = f"products/{parent}/variations/{external_id}" if parent else f"{PATHS[resource]}/{external_id}"
    try:
        response = client.get(path)
    except StoreError as error:
        # `woocommerce_rest_shop_order_invalid_id` and the like; a 404 without it (no such
        # route, a proxy's page) says nothing about the record.
        if error.status == 404 and (error.store_code or "").endswith("_invalid_id"):
            return None
        raise
    if not isinstance(response.body, dict):
        raise StoreError(UNEXPECTED_RESPONSE, f"the store answered {path} with something other than a record")
    return response.body, parent
