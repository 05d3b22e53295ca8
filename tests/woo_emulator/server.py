"""The WSGI front: records requests, applies faults, plays the web server and WordPress's router."""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .auth import AuthOutcome, AuthRequest, authenticate
from .faults import Failure, nginx_error_page
from .phpcompat import parse_str
from .restserver import RestRequest, parse_json
from .store import Urls

if TYPE_CHECKING:
    from .emulator import WooEmulator

# How often a serving thread checks for shutdown; stopping a server waits up to this long.
SHUTDOWN_POLL_SECONDS = 0.02


class StoreRequestHandler(WSGIRequestHandler):
    """Answer as the captured store's front end does (Server: nginx), without logging to stderr."""

    def version_string(self) -> str:
        """The Server header."""
        return "nginx/1.22.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        """Stay quiet: tests read emulator.requests instead."""


def serve_in_thread(
    app, name: str, ssl_context: ssl.SSLContext | None = None, port: int = 0
) -> tuple[BaseWSGIServer, threading.Thread]:
    """Serve a WSGI app on 127.0.0.1 and `port` (0: a free one) from a daemon thread."""
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=StoreRequestHandler, ssl_context=ssl_context
    )
    thread = threading.Thread(target=server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name=name, daemon=True)
    thread.start()
    return server, thread


def stop_serving(server: BaseWSGIServer, thread: threading.Thread) -> None:
    """Stop a server started by serve_in_thread and close its socket."""
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class RecordedRequest:
    """One request the emulator received, as sent (before any header stripping)."""

    method: str
    path: str
    query_string: str
    headers: Headers
    body: bytes
    status: int | None = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def auth_mode(self) -> str:
        """How the client tried to authenticate: oauth-query, oauth-header, basic, query-keys or none."""
        authorization = self.headers.get("Authorization", "")
        if "oauth_signature" in self.query:
            return "oauth-query"
        if authorization.startswith("OAuth "):
            return "oauth-header"
        if authorization.lower().startswith("basic "):
            return "basic"
        if "consumer_key" in self.query:
            return "query-keys"
        return "none"


def _html_page(status: int, title: str, rest_root: str, body: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A WordPress theme page, with the REST discovery Link WordPress adds to every page."""
    html = (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    headers = [("Content-Type", "text/html; charset=UTF-8"), ("Link", f'<{rest_root}>; rel="https://api.w.org/"')]
    return status, headers, html.encode()


def _not_found_page(site_name: str, urls: Urls) -> tuple[int, list[tuple[str, str]], bytes]:
    """The theme's 404 page (a path WordPress has no page for, with pretty permalinks)."""
    return _html_page(404, f"Page not found &#8211; {site_name}", urls.rest("/"), "<h1>Page not found</h1>")


class WsgiApp:
    """The emulated store as a WSGI application."""

    def __init__(self, emulator: WooEmulator):
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response):
        status, headers, body = self._handle(environ)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{status} {reason}", headers + [("Content-Length", str(len(body)))])
        return [body]

    def _handle(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        """Record, apply faults, then route."""
        emulator = self.emulator
        method = environ["REQUEST_METHOD"].upper()
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        if raw_uri.startswith(("http://", "https://")):
            split = urlsplit(raw_uri)
            raw_uri = split.path + (f"?{split.query}" if split.query else "")
        raw_path, _, query_string = raw_uri.partition("?")
        body = _read_body(environ)
        headers = Headers(EnvironHeaders(environ))
        get = parse_str(query_string)
        recorded = RecordedRequest(
            method, raw_path, query_string, headers, body,
            query={key: value for key, value in get.items() if isinstance(value, str)},
        )
        emulator.requests.append(recorded)

        delay, failure = emulator.faults.take(raw_uri, method)
        if delay:
            time.sleep(delay)
        if failure is not None:
            answer = _failure_answer(failure)
        else:
            answer = self._route(recorded, raw_uri, get)
        recorded.status = answer[0]
        return answer

    def _route(self, incoming: RecordedRequest, raw_uri: str, get: dict[str, Any]):
        """Pretty /wp-json/ paths, ?rest_route=, or a theme page."""
        emulator = self.emulator
        method, raw_path, headers, body = incoming.method, incoming.path, incoming.headers, incoming.body
        is_ssl = emulator.is_ssl
        urls = emulator.urls_for_request(is_ssl)
        home_path = urlsplit(emulator.home_url).path.rstrip("/")
        path = raw_path[len(home_path):] if home_path and raw_path.startswith(home_path) else raw_path
        pretty = emulator.permalinks == "pretty"
        if pretty and (path == "/wp-json" or path.startswith("/wp-json/")):
            route = unquote(path[len("/wp-json"):])
        elif isinstance(get.get("rest_route"), str):
            route = get["rest_route"]
        elif path in ("", "/") or not pretty:
            # Plain permalinks leave WordPress without rewrite rules: nginx's standard
            # `try_files $uri $uri/ /index.php?$args` hands it every path, and it shows the home page.
            return _html_page(200, emulator.site_name, urls.rest("/"), f"<h1>{emulator.site_name}</h1>")
        else:
            return _not_found_page(emulator.site_name, urls)
        route = "/" + route.strip("/") if route.strip("/") else "/"

        authorization = None if emulator.strip_authorization_header else headers.get("Authorization")
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        form = {}
        if content_type == "application/x-www-form-urlencoded":
            form = parse_str(body.decode("utf-8", "replace"))
        outcome = AuthOutcome()
        if emulator.woocommerce_active:
            outcome = authenticate(
                AuthRequest(
                    method=method,
                    request_uri=raw_uri,
                    raw_path=raw_path,
                    get=get,
                    post=form if method == "POST" else {},
                    authorization=authorization,
                    is_ssl=is_ssl,
                    home_url=emulator.home_url,
                ),
                emulator.keys,
                emulator.auth_clock(),
            )
        json_body, json_error = (None, False)
        if content_type == "application/json" or content_type.endswith("+json"):
            json_body, json_error = parse_json(body)
        rest_request = RestRequest(
            method=method,
            route=route,
            get=get,
            body_params=form,
            json_body=json_body,
            json_error=json_error,
            urls=urls,
            user=outcome.key,
            auth_error=outcome.error,
        )
        return emulator.rest.serve(rest_request)


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, whatever the framing."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _failure_answer(failure: Failure) -> tuple[int, list[tuple[str, str]], bytes]:
    """The forced answer: JSON for dicts and lists, text as given, else nginx's error page."""
    headers: list[tuple[str, str]] = []
    if failure.body is None:
        body = nginx_error_page(failure.status).encode()
        headers.append(("Content-Type", "text/html"))
    elif isinstance(failure.body, (dict, list)):
        body = json.dumps(failure.body).encode()
        headers.append(("Content-Type", "application/json; charset=UTF-8"))
    else:
        body = failure.body if isinstance(failure.body, bytes) else str(failure.body).encode()
        headers.append(("Content-Type", "text/html; charset=UTF-8"))
    if failure.retry_after is not None:
        headers.append(("Retry-After", str(failure.retry_after)))
    return failure.status, headers, body
