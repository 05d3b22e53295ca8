"""How a poll walks a Shopify shop: the walks of each entity, their pages, and the records gone.

Changes are walked with the GraphQL Admin API's search, `updated_at` from the cursor (less
`SEARCH_LAG`: Shopify's search index lags its records a little) up to the poll's start,
sorted by `UPDATED_AT` and paged by cursor. Orders carry their line items and products their
variants; the few with more than a page of either get the rest by their own queries.
Shopify gives no count with a page: a walk's `pages_total` is the pages done, plus one
while there is a next page.

Reconciliation lists ids page by page (orders created from Order Start on; products with
their variants' ids). Shopify recommends bulk operations for full exports, but a bulk
operation runs for minutes on Shopify's side and a poll must not hold a worker waiting for
it; id-only pages cost one point per id, and ask nothing a poll cannot resume. What looks
missing is confirmed with `nodes(ids:)`, where null means gone, before anything is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from stores.connector import IdPage, Page, Walk
from stores.errors import UNEXPECTED_RESPONSE, MappingError, StoreError
from stores.readers import read_utc
from stores.shopify import queries
from stores.shopify.fields import gid, read_gid

log = logging.getLogger(__name__)

# One walk per entity, its cursor in the schedule's `cursor` column.
WALKS = {"orders": (Walk("updated", "cursor"),), "products": (Walk("updated", "cursor"),)}
# How far behind its records Shopify's search may be: each walk starts this much earlier.
SEARCH_LAG = timedelta(minutes=2)
# Search times as Shopify's query syntax takes them, in UTC, to the second.
SEARCH_TIME = "%Y-%m-%dT%H:%M:%SZ"
# Without it Shopify shows only the last 60 days of orders, and older ones look deleted.
ALL_ORDERS_SCOPE = "read_all_orders"
KINDS = {"order": "Order", "product": "Product", "variant": "ProductVariant"}


def search_time(moment: datetime) -> str:
    """A time as a search term takes it, in UTC to the second (Shopify keeps whole seconds)."""
    return moment.astimezone(UTC).strftime(SEARCH_TIME)


def changed_search(since: datetime | None, until: datetime, order_start: datetime | None = None) -> str:
    """The search for records changed from `since` (less the lag; all when None) up to `until`."""
    terms = [] if since is None else [f"updated_at:>='{search_time(since - SEARCH_LAG)}'"]
    terms.append(f"updated_at:<='{search_time(until)}'")
    if order_start is not None:
        terms.append(f"created_at:>='{search_time(order_start)}'")
    return " AND ".join(terms)


def changed_pages(
    client, entity: str, walk: Walk, *, since: datetime | None, until: datetime, order_start: datetime
) -> Iterator[Page]:
    """The entity's records changed since `since`, page by page, oldest change first, none after `until`."""
    if entity == "orders":
        search = changed_search(since, until, order_start)
        for nodes, done, has_next in _pages(client, queries.CHANGED_ORDERS, "orders", {"query": search}):
            records = [(_with_all_line_items(client, node), None) for node in nodes]
            yield Page(records, done, done + has_next, _newest(nodes))
        return
    search = changed_search(since, until)
    for nodes, done, has_next in _pages(client, queries.CHANGED_PRODUCTS, "products", {"query": search}):
        records: list[tuple[dict, str | None]] = []
        for node in nodes:
            records.append((node, None))
            records.extend(_variants(client, node))
        yield Page(records, done, done + has_next, _newest(nodes))


def _pages(client, query: str, root: str, variables: dict[str, Any]) -> Iterator[tuple[list[dict], int, int]]:
    """(nodes, pages done, 1 when there is a next page) of a connection at the query's root, by cursor."""
    after, done = None, 0
    while True:
        connection = _connection(_answer(client, query, {**variables, "after": after}).get(root), root)
        done += 1
        has_next = bool(connection["pageInfo"].get("hasNextPage"))
        yield connection["nodes"], done, int(has_next)
        after = connection["pageInfo"].get("endCursor")
        if not has_next or not after:
            return


def _answer(client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    data = client.graphql(query, variables)
    if not isinstance(data, dict):
        raise StoreError(UNEXPECTED_RESPONSE, "the shop answered a query without data")
    return data


def _connection(value: Any, name: str) -> dict[str, Any]:
    """A connection as the walks read it: nodes that are objects, and its page info."""
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), list) or not isinstance(value.get("pageInfo"), dict):
        raise StoreError(UNEXPECTED_RESPONSE, f"the shop answered {name} without its nodes and pageInfo")
    return {"nodes": [node for node in value["nodes"] if isinstance(node, dict)], "pageInfo": value["pageInfo"]}


def _newest(nodes: list[dict]) -> datetime | None:
    """The latest `updatedAt` of a page (unreadable ones are left to the mapper to refuse)."""
    times = []
    for node in nodes:
        try:
            moment = read_utc(node.get("updatedAt"), "updatedAt")
        except MappingError:
            continue
        if moment is not None:
            times.append(moment)
    return max(times, default=None)


def _rest_of(client, query: str, owner_id: str, field: str, first: dict) -> list[dict]:
    """Every node of an order's or product's nested connection: the first page given, then the others by cursor."""
    nodes = list(first["nodes"])
    page_info = first["pageInfo"]
    root = "order" if field == "lineItems" else "product"
    while page_info.get("hasNextPage") and page_info.get("endCursor"):
        owner = _answer(client, query, {"id": owner_id, "after": page_info["endCursor"]}).get(root)
        if owner is None:
            break  # deleted meanwhile: what was read stands, the next poll or a full pass says the rest
        page = _connection(owner.get(field) if isinstance(owner, dict) else None, f"{root}.{field}")
        nodes += page["nodes"]
        page_info = page["pageInfo"]
    return nodes


def _with_all_line_items(client, order: dict) -> dict:
    """The order with all its line items, asked for when more than the first page of them."""
    items = order.get("lineItems")
    if not isinstance(items, dict) or not isinstance(items.get("pageInfo"), dict) or not items["pageInfo"].get("hasNextPage"):
        return order
    nodes = _rest_of(client, queries.MORE_LINE_ITEMS, order.get("id"), "lineItems", _connection(items, "lineItems"))
    return {**order, "lineItems": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}}


def _variants(client, product: dict) -> list[tuple[dict, str | None]]:
    """A product node's variants, all of them, each with its product (as `ProductVariant.product` has it) and parent id."""
    variants = product.get("variants")
    if not isinstance(variants, dict):
        return []
    nodes = _rest_of(client, queries.MORE_VARIANTS, product.get("id"), "variants", _connection(variants, "variants"))
    summary = {key: product.get(key) for key in ("id", "title", "status", "createdAt", "updatedAt")}
    parent = _number(product.get("id"), KINDS["product"])
    return [({**node, "product": summary}, parent) for node in nodes]


def _number(value: Any, kind: str) -> str | None:
    """The numeric id of a GID, or None for one that is not (the mapper then refuses the record, naming it)."""
    try:
        return read_gid(kind)(value, "id")
    except MappingError:
        return None


def id_pages(client, entity: str, *, order_start: datetime) -> Iterator[IdPage]:
    """Every id the shop has: orders created from `order_start` on; products and their variants."""
    if entity == "orders":
        search = f"created_at:>='{search_time(order_start)}'"
        for nodes, done, has_next in _pages(client, queries.ORDER_IDS, "orders", {"query": search}):
            yield IdPage({number for number in (_number(node.get("id"), "Order") for node in nodes) if number}, done, done + has_next)
        return
    for nodes, done, has_next in _pages(client, queries.PRODUCT_IDS, "products", {}):
        ids: set[str | None] = set()
        for node in nodes:
            ids.add(_number(node.get("id"), "Product"))
            variants = node.get("variants")
            if isinstance(variants, dict):
                first = _connection(variants, "variants")
                variant_nodes = _rest_of(client, queries.MORE_VARIANT_IDS, node.get("id"), "variants", first)
                ids.update(_number(variant.get("id"), "ProductVariant") for variant in variant_nodes)
        ids.discard(None)
        yield IdPage(ids, done, done + has_next)  # type: ignore[arg-type]


def _kind(entity: str, external_id: str, parent: str | None) -> str:
    if entity in ("orders", "order"):
        return KINDS["order"]
    return KINDS["variant"] if parent and parent != external_id else KINDS["product"]


def missing_ids(client, entity: str, candidates: list[tuple[str, str | None]]) -> list[str]:
    """Of (external id, parent) candidates, those the shop confirms gone: `nodes(ids:)` answers null for them.

    Without the `read_all_orders` scope Shopify answers null for orders over 60 days old as
    well, so then no order is confirmed gone (deletions still come by webhook).
    """
    gids = [(external_id, gid(_kind(entity, external_id, parent), external_id)) for external_id, parent in candidates]
    query = queries.EXISTING_ORDERS if entity == "orders" else queries.EXISTING
    gone: list[str] = []
    for start in range(0, len(gids), queries.IDS_PER_LOOKUP):
        batch = gids[start : start + queries.IDS_PER_LOOKUP]
        answer = _answer(client, query, {"ids": [value for _, value in batch]})
        if entity == "orders" and ALL_ORDERS_SCOPE not in _scopes(answer):
            log.warning("the app lacks %s: orders missing from a full pass are not confirmed deleted", ALL_ORDERS_SCOPE)
            return []
        found = answer.get("nodes")
        if not isinstance(found, list) or len(found) != len(batch):
            raise StoreError(UNEXPECTED_RESPONSE, "the shop answered nodes(ids:) with a list of another length")
        gone.extend(external_id for (external_id, _), node in zip(batch, found, strict=True) if node is None)
    return sorted(gone)


def _scopes(answer: dict[str, Any]) -> set[str]:
    """The handles of the app's access scopes in an answer that asked for them."""
    installation = answer.get("currentAppInstallation")
    scopes = installation.get("accessScopes") if isinstance(installation, dict) else None
    return {scope.get("handle") for scope in scopes or [] if isinstance(scope, dict)}


def read_record(client, resource: str, external_id: str, parent: str | None) -> tuple[dict, str | None] | None:
    """The record as the shop has it now (a variant with its product), or None when the shop has no such record."""
    if resource == "order":
        node = _answer(client, queries.ORDER_NOW, {"id": gid(KINDS["order"], external_id)}).get("order")
        return None if node is None else (_with_all_line_items(client, _object(node, "order")), None)
    if parent and parent != external_id:
        node = _answer(client, queries.VARIANT_NOW, {"id": gid(KINDS["variant"], external_id)}).get("productVariant")
        return None if node is None else (_object(node, "productVariant"), parent)
    node = _answer(client, queries.PRODUCT_NOW, {"id": gid(KINDS["product"], external_id)}).get("product")
    return None if node is None else (_object(node, "product"), None)


def _object(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise StoreError(UNEXPECTED_RESPONSE, f"the shop answered {name} with something other than an object")
    return value
