"""The WordPress REST server around the handlers: routes, parameters, permissions, headers, _fields."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import schema
from .auth import ApiKey, check_key_permissions
from .errors import RestError, no_route
from .phpcompat import PhpArray, add_query_arg, urlencode_deep, wp_json_encode, wp_parse_list
from .store import Urls

NO_CACHE_HEADERS = (
    ("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
    ("Cache-Control", "no-cache, must-revalidate, max-age=0, no-store, private"),
)
STANDARD_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
    ("Access-Control-Allow-Headers", "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"),
)
# WooCommerce's permission errors by the kind of access a handler needs.
PERMISSION_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
}
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class RestRequest:
    """A request as the REST server sees it once authentication has run."""

    method: str
    route: str
    get: PhpArray
    body_params: PhpArray
    json_body: Any
    json_error: bool
    urls: Urls
    user: ApiKey | None
    auth_error: RestError | None
    params: dict[str, Any] = field(default_factory=dict)
    args_schema: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        """A sanitized parameter, or the default."""
        value = self.params.get(name)
        return default if value is None else value


@dataclass
class RestResponse:
    """What a handler answers: data, links for single objects, extra headers."""

    data: Any
    status: int = 200
    links: dict[str, Any] | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    pagination: str | None = None


Handler = Callable[[RestRequest], RestResponse]


@dataclass
class Endpoint:
    """One method of a route: its handler and the access it needs ("public", "list", "view"...)."""

    handler: Handler
    access: str


@dataclass
class Route:
    """A route pattern (as the real store spells it) and its endpoints by method."""

    pattern: str
    endpoints: dict[str, Endpoint]
    woocommerce: bool = True

    def __post_init__(self) -> None:
        self.regex = re.compile(f"^{self.pattern}$", re.IGNORECASE)

    def methods(self) -> list[str]:
        """The methods in the real store's order."""
        if self.woocommerce:
            return schema.route_methods(self.pattern)
        return list(self.endpoints)


class RestServer:
    """Dispatches REST requests the way WP_REST_Server does."""

    def __init__(self, routes: list[Route], woocommerce_active: Callable[[], bool]):
        self.routes = routes
        self._woocommerce_active = woocommerce_active

    def _match(self, request: RestRequest) -> tuple[Route, Endpoint, dict[str, str]]:
        """The route and endpoint for the path and method, or rest_no_route."""
        method = "GET" if request.method == "HEAD" else request.method
        for route in self.routes:
            if route.woocommerce and not self._woocommerce_active():
                continue
            match = route.regex.match(request.route)
            if match and method in route.endpoints:
                return route, route.endpoints[method], match.groupdict()
        if self._woocommerce_active() and schema.is_real_route(request.route, method):
            message = f"The WooCommerce emulator does not implement {method} {request.route}."
            raise RestError("emulator_not_implemented", message, 501)
        raise no_route()

    def serve(self, request: RestRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request: status, headers, body."""
        route: Route | None = None
        logged_in = request.user is not None
        try:
            if request.auth_error is not None:
                logged_in = False
                raise request.auth_error
            if request.user is not None:
                denied = check_key_permissions(request.user, request.method)
                if denied:
                    raise denied
            route, endpoint, url_params = self._match(request)
            self._prepare_params(request, route, url_params)
            if endpoint.access != "public" and not logged_in:
                raise RestError(*PERMISSION_ERRORS[endpoint.access], 401)
            response = endpoint.handler(request)
        except RestError as error:
            response = RestResponse(error.body(), status=error.status)
        data = response.data
        fields = request.get.get("_fields")
        if fields is not None and 200 <= response.status < 300:
            data = filter_fields(data, wp_parse_list(fields))
        if response.links is not None and isinstance(data, dict):
            data = {**data, "_links": response.links}
        headers = self._headers(request, response, route, logged_in)
        body = b"" if request.method == "HEAD" else wp_json_encode(data).encode("ascii")
        return response.status, headers, body

    def _prepare_params(self, request: RestRequest, route: Route, url_params: dict[str, str]) -> None:
        """Merge parameters by WordPress's precedence, then validate them against the schema."""
        if request.json_error:
            raise RestError("rest_invalid_json", "Invalid JSON body passed.", 400,
                            json_error_code=4, json_error_message="Syntax error")
        merged: dict[str, Any] = dict(url_params)
        merged.update(request.get)
        if request.method in BODY_METHODS:
            merged.update(request.body_params)
        if isinstance(request.json_body, dict):
            merged.update(request.json_body)
        args = schema.endpoint_args(route.pattern, request.method) if route.woocommerce else {}
        schema.check_params(args, merged)
        request.params = schema.with_defaults(args, merged)
        request.args_schema = args

    def _headers(
        self, request: RestRequest, response: RestResponse, route: Route | None, logged_in: bool
    ) -> list[tuple[str, str]]:
        """Headers in the order WordPress sends them."""
        headers = [("Content-Type", "application/json; charset=UTF-8"), ("X-Robots-Tag", "noindex")]
        if response.pagination is None:
            headers.append(("Link", f'<{request.urls.rest("/")}>; rel="https://api.w.org/"'))
        headers.extend(STANDARD_HEADERS)
        headers.extend(response.headers)
        if response.pagination is not None:
            headers.append(("Link", response.pagination))
        if route is not None:
            allowed = [
                method for method in route.methods()
                if logged_in or (method in route.endpoints and route.endpoints[method].access == "public")
            ]
            if allowed:
                headers.append(("Allow", ", ".join(allowed)))
        if logged_in:
            headers.extend(NO_CACHE_HEADERS)
        elif request.method == "GET":
            headers.append(("Vary", "Origin"))
        return headers


def filter_fields(data: Any, fields: list[str]) -> Any:
    """WordPress rest_filter_response_fields(): keep only the requested (dotted) fields."""
    if isinstance(data, list):
        return [filter_fields(item, fields) for item in data]
    if not isinstance(data, dict):
        return data
    mask: dict[str, Any] = {}
    for path in fields:
        node = mask
        parts = path.split(".")
        for index, part in enumerate(parts):
            if node.get(part) is True:
                break
            if index == len(parts) - 1:
                node[part] = True
            else:
                node = node.setdefault(part, {})
    return _apply_mask(data, mask)


def _apply_mask(data: dict[str, Any], mask: dict[str, Any]) -> dict[str, Any]:
    """Keep the masked keys; nested masks recurse into dicts."""
    kept = {}
    for key, value in data.items():
        if key not in mask:
            continue
        if mask[key] is True or not isinstance(value, dict):
            kept[key] = value
        else:
            kept[key] = _apply_mask(value, mask[key])
    return kept


@dataclass
class Page:
    """One page of a collection and the numbers the headers report."""

    items: list[Any]
    total: int
    total_pages: int
    page: int


def paginate(items: list[Any], request: RestRequest, keep_totals: bool = True) -> Page:
    """Slice by page/per_page (or offset); orders report 0/0 past the end where products keep totals."""
    per_page = int(request.param("per_page", 10))
    page = int(request.param("page", 1))
    offset = request.params.get("offset")
    start = int(offset) if offset not in (None, "") else (page - 1) * per_page
    chosen = items[start:start + per_page]
    total = len(items)
    total_pages = math.ceil(total / per_page) if per_page else 1
    if not chosen and page > 1 and not keep_totals:
        total, total_pages = 0, 0
    return Page(chosen, total, total_pages, page)


def sanitized_query(request: RestRequest) -> PhpArray:
    """The query parameters as WordPress holds them after sanitizing (for pagination links)."""
    args = request.args_schema
    query: PhpArray = {}
    for key, value in request.get.items():
        spec = args.get(key)
        query[key] = _sanitize(value, spec) if spec else value
    return query


def _sanitize(value: Any, spec: dict[str, Any]) -> Any:
    """rest_sanitize_value_from_schema() for the simple types."""
    kind = spec.get("type")
    if value is None:
        return None
    if kind == "integer":
        return int(float(value))
    if kind == "boolean":
        return schema.to_boolean(value)
    if kind == "array":
        items = wp_parse_list(value)
        item_kind = spec.get("items", {}).get("type")
        return [int(float(item)) if item_kind == "integer" else item for item in items]
    return value


def pagination_links(request: RestRequest, route: str, page: Page, query: PhpArray) -> str | None:
    """The Link header: rel="prev"/"next" URLs repeating the caller's query (OAuth parameters too)."""
    base = add_query_arg(request.urls.rest(route), urlencode_deep(query))
    links = []
    if page.page > 1:
        previous = min(page.page - 1, page.total_pages)
        links.append(f'<{add_query_arg(base, {"page": str(previous)})}>; rel="prev"')
    if page.total_pages > page.page:
        links.append(f'<{add_query_arg(base, {"page": str(page.page + 1)})}>; rel="next"')
    return ", ".join(links) or None


def page_response(data: list[Any], page: Page, links: str | None) -> RestResponse:
    """A collection response with X-WP-Total, X-WP-TotalPages and Link."""
    return RestResponse(
        data,
        headers=[("X-WP-Total", str(page.total)), ("X-WP-TotalPages", str(page.total_pages))],
        pagination=links,
    )


def parse_json(body: bytes) -> tuple[Any, bool]:
    """The JSON body and whether it failed to parse (an empty body is no JSON)."""
    if not body.strip():
        return None, False
    try:
        return json.loads(body), False
    except ValueError:
        return None, True


def single(data: dict[str, Any], status: int = 200, headers: list[tuple[str, str]] | None = None) -> RestResponse:
    """A single-object response: links kept aside, so _fields never drops them (as in WordPress)."""
    data = dict(data)
    links = data.pop("_links", None)
    return RestResponse(data, status=status, links=links, headers=headers or [])


def writable_fields(request: RestRequest) -> dict[str, Any]:
    """The fields the request body carries (JSON or form) that the route's schema knows, sanitized."""
    body = request.json_body if isinstance(request.json_body, dict) else request.body_params
    schema_args = request.args_schema
    return {key: _sanitize(value, schema_args[key]) for key, value in body.items() if key in schema_args}


def guarded(action: Callable[[], Any]) -> Any:
    """Run a change; input the store cannot take becomes a 400 instead of a crash."""
    try:
        return action()
    except (ValueError, TypeError, KeyError) as error:
        raise RestError("woocommerce_rest_invalid_request", str(error), 400) from None
