"""The HTTP front of the emulated shop: records requests, applies faults, routes to the API.

Routes: `POST /admin/oauth/access_token` (client credentials grant), `POST
/admin/api/<version>/graphql.json` (the Admin API, `X-Shopify-Access-Token`), `GET
/bulk-results/<token>.jsonl` (bulk operation results) and `GET /` (the storefront).
Everything else under /admin is Shopify's JSON 404.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders, Headers

from tests.woo_emulator.faults import Failure
from tests.woo_emulator.server import RecordedRequest, _read_body

from .auth import INVALID_TOKEN
from .graph import Context

if TYPE_CHECKING:
    from .emulator import ShopifyEmulator

GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>[^/]+)/graphql\.json$")
BULK_PATH = re.compile(r"^/bulk-results/(?P<token>[\w-]+)\.jsonl$")
NOT_FOUND = {"errors": "Not Found"}

Answer = tuple[int, list[tuple[str, str]], bytes]


def _json(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    return status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], json.dumps(body).encode()


class WsgiApp:
    """The emulated shop as a WSGI application."""

    def __init__(self, emulator: ShopifyEmulator):
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response):
        status, headers, body = self._handle(environ)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        headers = headers + [("X-Request-Id", str(uuid.uuid4())), ("Content-Length", str(len(body)))]
        start_response(f"{status} {reason}", headers)
        return [body]

    def _handle(self, environ: dict[str, Any]) -> Answer:
        emulator = self.emulator
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "/")
        query_string = environ.get("QUERY_STRING", "")
        recorded = RecordedRequest(method, path, query_string, Headers(EnvironHeaders(environ)), _read_body(environ),
                                   query=dict(parse_qsl(query_string)))
        emulator.requests.append(recorded)
        # Every API call goes to one path: faults also match the GraphQL document (a field, a mutation).
        target = path + (f"?{query_string}" if query_string else "")
        if GRAPHQL_PATH.match(path):
            target += " " + recorded.body.decode("utf-8", "replace")
        delay, failure = emulator.faults.take(target, method)
        if delay:
            time.sleep(delay)
        answer = _failure(failure) if failure is not None else self._route(recorded)
        recorded.status = answer[0]
        return answer

    def _route(self, request: RecordedRequest) -> Answer:
        emulator = self.emulator
        if emulator.missing_shop == "redirect":
            return 301, [("Location", "https://www.shopify.com/"), ("Content-Type", "text/html")], b""
        if emulator.missing_shop:
            page = b"<html><body><h1>Sorry, this shop is currently unavailable.</h1></body></html>"
            return 404, [("Content-Type", "text/html; charset=utf-8"), ("powered-by", "Shopify")], page
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if request.path == "/admin/oauth/access_token":
            if request.method != "POST":
                return _json(405, NOT_FOUND)
            if content_type == "application/json":
                try:
                    form = json.loads(request.body or b"{}")
                except ValueError:
                    form = {}
            else:
                form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
            status, body = emulator.apps.grant(form if isinstance(form, dict) else {})
            return _json(status, body)
        match = GRAPHQL_PATH.match(request.path)
        if match:
            version = emulator.version_served(match["version"])
            if version is None:
                return _json(404, NOT_FOUND)
            headers = [("X-Shopify-API-Version", version)]
            if request.method != "POST":
                return _json(405, NOT_FOUND, headers)
            app = emulator.apps.authenticate(request.headers.get("X-Shopify-Access-Token"))
            if app is None:
                return _json(401, INVALID_TOKEN, headers)
            status, body = emulator.graphql.handle(Context(emulator, app), request.body, content_type)
            return _json(status, body, headers)
        match = BULK_PATH.match(request.path)
        if match and request.method == "GET":
            lines = emulator.bulk.file(match["token"])
            if lines is None:
                return 404, [("Content-Type", "application/xml")], b"<Error><Code>NoSuchKey</Code></Error>"
            return 200, [("Content-Type", "application/jsonl")], lines
        if request.path.startswith("/admin"):
            return _json(404, NOT_FOUND)
        if request.path == "/":
            page = f"<!doctype html><html><head><title>{emulator.shop_name}</title></head><body></body></html>"
            return 200, [("Content-Type", "text/html; charset=utf-8"), ("powered-by", "Shopify"),
                         ("x-shopid", str(emulator.shop_id))], page.encode()
        return 404, [("Content-Type", "text/html; charset=utf-8"), ("powered-by", "Shopify")], b"Not Found"


def _failure(failure: Failure) -> Answer:
    """A forced answer: JSON for dicts and lists, text as given, else Shopify's JSON error."""
    headers = [("Retry-After", str(failure.retry_after))] if failure.retry_after is not None else []
    if failure.body is None:
        try:
            phrase = HTTPStatus(failure.status).phrase
        except ValueError:
            phrase = "Error"
        return _json(failure.status, {"errors": phrase}, headers)
    if isinstance(failure.body, (dict, list)):
        return _json(failure.status, failure.body, headers)
    body = failure.body if isinstance(failure.body, bytes) else str(failure.body).encode()
    return failure.status, [("Content-Type", "text/html; charset=utf-8"), *headers], body
