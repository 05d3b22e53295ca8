"""The /wc/v3/orders routes."""

from __future__ import annotations

from typing import Any

from . import orders
from .errors import RestError, invalid_id
from .listing import filter_records, sort_records
from .phpcompat import wp_parse_list
from .restserver import (
    Endpoint,
    RestRequest,
    RestResponse,
    Route,
    guarded,
    page_response,
    paginate,
    pagination_links,
    sanitized_query,
    single,
    writable_fields,
)
from .schema import to_boolean
from .store import Store

ORDER_KEYS = {
    "date": lambda record: record["created"],
    "id": lambda record: record["id"],
    "title": lambda record: record["id"],
    "slug": lambda record: record["id"],
    "modified": lambda record: record["modified"],
}


class OrdersApi:
    """Handlers for orders, bound to one store."""

    def __init__(self, store: Store):
        self.store = store

    def routes(self) -> list[Route]:
        """The routes this module serves."""
        return [
            Route("/wc/v3/orders", {"GET": Endpoint(self.list, "list"), "POST": Endpoint(self.create, "create")}),
            Route(
                "/wc/v3/orders/(?P<id>[\\d]+)",
                {
                    "GET": Endpoint(self.get, "view"),
                    "POST": Endpoint(self.update, "edit"),
                    "PUT": Endpoint(self.update, "edit"),
                    "PATCH": Endpoint(self.update, "edit"),
                    "DELETE": Endpoint(self.delete, "delete"),
                },
            ),
        ]

    def list(self, request: RestRequest) -> RestResponse:
        """GET /orders: filters, order, pages; past the last page totals are 0 (HPOS)."""
        with self.store.lock:
            statuses = [str(status) for status in wp_parse_list(request.param("status", ["any"]))]
            chosen = [record for record in self.store.orders.values() if _status_matches(record, statuses)]
            customer = request.param("customer")
            if customer not in (None, ""):
                chosen = [record for record in chosen if record["customer_id"] == int(customer)]
            product = request.param("product")
            if product not in (None, ""):
                chosen = [record for record in chosen if _has_product(record, int(product))]
            created_via = wp_parse_list(request.param("created_via", []))
            if created_via:
                chosen = [record for record in chosen if record["created_via"] in created_via]
            search = request.param("search")
            if search:
                chosen = [record for record in chosen if _matches_search(record, search)]
            chosen = sort_records(filter_records(self.store, chosen, request), request, ORDER_KEYS)
            page = paginate(chosen, request, keep_totals=False)
            data = [orders.order_json(self.store, record, request.urls) for record in page.items]
        query = sanitized_query(request)
        # The orders controller writes these back into the request, so its links repeat them.
        if "status" not in query:
            query["status"] = ["any"]
        if data:
            query.setdefault("dp", 2)
            query.setdefault("context", "view")
        return page_response(data, page, pagination_links(request, "/wc/v3/orders", page, query))

    def get(self, request: RestRequest) -> RestResponse:
        """GET /orders/<id>."""
        with self.store.lock:
            record = orders.get_order(self.store, request.param("id"))
            return single(orders.order_json(self.store, record, request.urls))

    def create(self, request: RestRequest) -> RestResponse:
        """POST /orders: 201 with a Location header."""
        if request.param("id"):
            raise RestError("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400)
        with self.store.lock:
            record = guarded(lambda: orders.create_order(self.store, writable_fields(request)))
            location = request.urls.rest(f"/wc/v3/orders/{record['id']}")
            return single(orders.order_json(self.store, record, request.urls), 201, [("Location", location)])

    def update(self, request: RestRequest) -> RestResponse:
        """PUT /orders/<id> (an unknown id is a 400 here, as in WooCommerce)."""
        with self.store.lock:
            if self.store.orders.get(int(request.param("id"))) is None:
                raise invalid_id("shop_order", status=400)
            fields = writable_fields(request)
            fields.pop("id", None)
            record = guarded(lambda: orders.update_order(self.store, request.param("id"), fields))
            return single(orders.order_json(self.store, record, request.urls))

    def delete(self, request: RestRequest) -> RestResponse:
        """DELETE /orders/<id>: to the trash, or for good with force=true."""
        with self.store.lock:
            record = orders.get_order(self.store, request.param("id"))
            if to_boolean(request.param("force", False)):
                data = orders.order_json(self.store, record, request.urls)
                orders.force_delete_order(self.store, record["id"])
                return single(data)
            orders.trash_order(self.store, record["id"])
            return single(orders.order_json(self.store, record, request.urls))


def _status_matches(record: dict[str, Any], statuses: list[str]) -> bool:
    """"any" is every status but trash and drafts."""
    if record["status"] in statuses:
        return True
    return "any" in statuses and record["status"] not in ("trash", "auto-draft", "checkout-draft")


def _has_product(record: dict[str, Any], product_id: int) -> bool:
    """The order has a line for this product or variation."""
    return any(product_id in (item["product_id"], item["variation_id"]) for item in record["line_items"])


def _matches_search(record: dict[str, Any], term: str) -> bool:
    """A loose version of WooCommerce's order search: id, names, email."""
    values = [record["id"], *record["billing"].values(), *record["shipping"].values()]
    haystack = " ".join(str(value) for value in values).lower()
    return term.lower() in haystack
