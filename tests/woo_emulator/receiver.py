"""A tiny HTTP server that records what it is sent and answers as told: a stand-in webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from .server import serve_in_thread, stop_serving


@dataclass
class Capture:
    """One request the receiver got."""

    method: str
    path: str
    headers: Headers
    body: bytes


class CaptureServer:
    """Records requests; answers `status` (or whatever `responder` returns for a request)."""

    def __init__(self, status: int = 200, responder: Callable[[Capture], Response | int] | None = None):
        self.status = status
        self.responder = responder
        self.captures: list[Capture] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> CaptureServer:
        """Listen on 127.0.0.1 and a free port."""
        self._server, self._thread = serve_in_thread(self._app, "capture-server")
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None and self._thread is not None:
            stop_serving(self._server, self._thread)
            self._server = self._thread = None

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def _app(self, environ, start_response):
        request = Request(environ)
        capture = Capture(request.method, request.full_path.rstrip("?"), Headers(request.headers), request.get_data())
        self.captures.append(capture)
        answer: Response | int = self.responder(capture) if self.responder else self.status
        if isinstance(answer, int):
            answer = Response("ok" if answer < 300 else "failed", status=answer)
        return answer(environ, start_response)
