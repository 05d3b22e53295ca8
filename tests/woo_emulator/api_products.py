"""The /wc/v3/products and /wc/v3/products/<id>/variations routes."""

from __future__ import annotations

from typing import Any

from . import products
from .errors import RestError, invalid_id
from .listing import filter_records, sort_records
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
from .store import Store, money

PRODUCT_KEYS = {
    "date": lambda record: record["created"],
    "id": lambda record: record["id"],
    "title": lambda record: record.get("name", ""),
    "slug": lambda record: record.get("slug", ""),
    "modified": lambda record: record["modified"],
    "menu_order": lambda record: record["menu_order"],
    "popularity": lambda record: int(record["total_sales"]),
}
ITEM_METHODS = ("POST", "PUT", "PATCH")


class ProductsApi:
    """Handlers for products and variations, bound to one store."""

    def __init__(self, store: Store):
        self.store = store

    def routes(self) -> list[Route]:
        """The routes this module serves."""
        item = {method: Endpoint(self.update, "edit") for method in ITEM_METHODS}
        variation = {method: Endpoint(self.update_variation, "edit") for method in ITEM_METHODS}
        return [
            Route("/wc/v3/products", {"GET": Endpoint(self.list, "list"), "POST": Endpoint(self.create, "create")}),
            Route(
                "/wc/v3/products/(?P<id>[\\d]+)",
                {"GET": Endpoint(self.get, "view"), **item, "DELETE": Endpoint(self.delete, "delete")},
            ),
            Route(
                "/wc/v3/products/(?P<product_id>[\\d]+)/variations",
                {"GET": Endpoint(self.list_variations, "list"), "POST": Endpoint(self.create_variation, "create")},
            ),
            Route(
                "/wc/v3/products/(?P<product_id>[\\d]+)/variations/(?P<id>[\\d]+)",
                {
                    "GET": Endpoint(self.get_variation, "view"),
                    **variation,
                    "DELETE": Endpoint(self.delete_variation, "delete"),
                },
            ),
        ]

    # -- products --------------------------------------------------------------------------

    def list(self, request: RestRequest) -> RestResponse:
        """GET /products: past the last page the totals stay."""
        with self.store.lock:
            chosen = [
                record for record in self.store.products.values()
                if record["kind"] == "product" and _product_matches(record, request)
            ]
            chosen = filter_records(self.store, chosen, request)
            keys = {**PRODUCT_KEYS, "price": lambda record: money(products.active_price(self.store, record))}
            chosen = sort_records(chosen, request, keys)
            page = paginate(chosen, request)
            data = [products.product_json(self.store, record, request.urls) for record in page.items]
        links = pagination_links(request, "/wc/v3/products", page, sanitized_query(request))
        return page_response(data, page, links)

    def get(self, request: RestRequest) -> RestResponse:
        """GET /products/<id> (a variation's id answers in the product shape)."""
        with self.store.lock:
            record = products.get_product(self.store, request.param("id"))
            return single(products.product_json(self.store, record, request.urls))

    def create(self, request: RestRequest) -> RestResponse:
        """POST /products: 201 with a Location header."""
        if request.param("id"):
            raise RestError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
        with self.store.lock:
            record = guarded(lambda: products.create_product(self.store, writable_fields(request)))
            location = request.urls.rest(f"/wc/v3/products/{record['id']}")
            return single(products.product_json(self.store, record, request.urls), 201, [("Location", location)])

    def update(self, request: RestRequest) -> RestResponse:
        """PUT /products/<id>."""
        with self.store.lock:
            if int(request.param("id")) not in self.store.products:
                raise invalid_id("product", status=400)
            fields = writable_fields(request)
            fields.pop("id", None)
            record = guarded(lambda: products.update_product(self.store, request.param("id"), fields))
            return single(products.product_json(self.store, record, request.urls))

    def delete(self, request: RestRequest) -> RestResponse:
        """DELETE /products/<id>: to the trash, or for good with force=true."""
        with self.store.lock:
            record = products.get_product(self.store, request.param("id"))
            if to_boolean(request.param("force", False)):
                data = products.product_json(self.store, record, request.urls)
                products.force_delete_product(self.store, record["id"])
                return single(data)
            products.trash_product(self.store, record["id"])
            return single(products.product_json(self.store, record, request.urls))

    # -- variations ------------------------------------------------------------------------

    def _variation(self, request: RestRequest, status: int = 404) -> dict[str, Any]:
        """The variation named by the path, belonging to the product in the path."""
        record = self.store.products.get(int(request.param("id")))
        if record is None or record["kind"] != "variation" or record["parent_id"] != int(request.param("product_id")):
            raise invalid_id("product_variation", status=status)
        return record

    def list_variations(self, request: RestRequest) -> RestResponse:
        """GET /products/<id>/variations: newest first by default."""
        with self.store.lock:
            parent_id = int(request.param("product_id"))
            status = request.param("status", "any")
            chosen = [
                record for record in products.children(self.store, parent_id, include_trash=True)
                if record["status"] == status or (status == "any" and record["status"] != "trash")
            ]
            sku = request.param("sku")
            if sku:
                chosen = [record for record in chosen if record["sku"] == sku]
            chosen = sort_records(filter_records(self.store, chosen, request), request, PRODUCT_KEYS)
            page = paginate(chosen, request)
            data = [products.variation_json(self.store, record, request.urls) for record in page.items]
        route = f"/wc/v3/products/{parent_id}/variations"
        return page_response(data, page, pagination_links(request, route, page, sanitized_query(request)))

    def get_variation(self, request: RestRequest) -> RestResponse:
        """GET /products/<id>/variations/<id>."""
        with self.store.lock:
            return single(products.variation_json(self.store, self._variation(request), request.urls))

    def create_variation(self, request: RestRequest) -> RestResponse:
        """POST /products/<id>/variations."""
        with self.store.lock:
            parent = products.get_product(self.store, request.param("product_id"))
            record = guarded(lambda: products.create_variation(self.store, parent["id"], writable_fields(request)))
            location = request.urls.rest(f"/wc/v3/products/{parent['id']}/variations/{record['id']}")
            return single(products.variation_json(self.store, record, request.urls), 201, [("Location", location)])

    def update_variation(self, request: RestRequest) -> RestResponse:
        """PUT /products/<id>/variations/<id>: the webhook carries the /products form."""
        with self.store.lock:
            record = self._variation(request, status=400)
            fields = writable_fields(request)
            fields.pop("id", None)
            fields.pop("product_id", None)
            guarded(lambda: products.update_product(self.store, record["id"], fields))
            return single(products.variation_json(self.store, record, request.urls))

    def delete_variation(self, request: RestRequest) -> RestResponse:
        """DELETE /products/<id>/variations/<id>."""
        with self.store.lock:
            record = self._variation(request)
            data = products.variation_json(self.store, record, request.urls)
            if to_boolean(request.param("force", False)):
                products.force_delete_product(self.store, record["id"])
                return single(data)
            products.trash_product(self.store, record["id"])
            return single(products.variation_json(self.store, record, request.urls))


def _product_matches(record: dict[str, Any], request: RestRequest) -> bool:
    """The simple product filters: status, type, sku, slug, search, stock status, category, featured."""
    status = request.param("status", "any")
    if status == "any":
        if record["status"] in ("trash", "auto-draft"):
            return False
    elif record["status"] != status:
        return False
    checks = {
        "type": record["type"],
        "sku": record["sku"],
        "slug": record.get("slug"),
        "stock_status": record["stock_status"],
    }
    for name, actual in checks.items():
        wanted = request.param(name)
        if wanted not in (None, "") and wanted != actual:
            return False
    search = request.param("search")
    if search and search.lower() not in record["name"].lower():
        return False
    category = request.param("category")
    if category not in (None, "") and int(category) not in record["category_ids"]:
        return False
    featured = request.param("featured")
    if featured not in (None, "") and to_boolean(featured) != record["featured"]:
        return False
    return True
