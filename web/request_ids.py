"""Request ids: every log line of a request, and its response, carry the request's id.

Heroku's router sends `X-Request-ID` (a UUID); any other front end may too. A well-formed
one is kept, anything else (absent, too long, odd characters that could forge log fields)
is replaced by a new id. The middleware wraps the whole WSGI app, the receiver included.
"""

import re
import uuid
from collections.abc import Callable, Iterable

from config.logging import log_context

HEADER = "X-Request-ID"
_ENVIRON_KEY = "HTTP_X_REQUEST_ID"
# Heroku's ids are UUIDs; other routers use hex, base64url or dotted forms.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:+/=-]{1,200}")


def request_id_of(environ: dict) -> str:
    """The request's id: the router's, if well formed, else a new one."""
    given = environ.get(_ENVIRON_KEY, "")
    return given if _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIds:
    """WSGI middleware: sets the log context for the request and echoes the id in the response."""

    def __init__(self, app: Callable[[dict, Callable], Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request_id = environ[_ENVIRON_KEY] = request_id_of(environ)

        def start(status: str, headers: list, exc_info=None):
            return start_response(status, [*headers, (HEADER, request_id)], exc_info)

        with log_context(request_id=request_id):
            return self.app(environ, start)


def init_app(app) -> None:
    """Wrap `app.wsgi_app` (call last, so the receiver's path is covered too)."""
    app.wsgi_app = RequestIds(app.wsgi_app)
