"""The receiver's side of WSGI: reading a request, and the replies (status, JSON body, outcome as `GET /metrics` counts it)."""

import http
import json
from dataclasses import dataclass

from connections.errors import error_document
from jobs.counters import OUTCOME_DUPLICATE, OUTCOME_QUEUED, OUTCOME_SPOOLED

# Outcomes counted elsewhere than where the reply is made (`jobs.counters`): the push script
# counts queued and duplicate deliveries in the call that buffers them, the clock counts
# spooled ones when it moves them into Redis (which was away when they were spooled), and a
# refusal for want of both Redis and the database cannot be counted anywhere (it is logged).
UNSTORED = "503-unstored"
NOT_COUNTED_HERE = frozenset({OUTCOME_QUEUED, OUTCOME_DUPLICATE, OUTCOME_SPOOLED, UNSTORED})


@dataclass(frozen=True)
class Reply:
    """What the receiver answers: a status and a JSON body; `outcome` names it in the delivery counts (default: the status)."""

    status: int
    body: bytes = b""
    outcome: str = ""

    def __post_init__(self):
        if not self.outcome:
            object.__setattr__(self, "outcome", str(self.status))

    @classmethod
    def json(cls, status: int, document: dict, outcome: str = "") -> "Reply":
        """`document` as compact JSON, as Flask's `jsonify` writes it."""
        return cls(status, json.dumps(document, separators=(",", ":")).encode() + b"\n", outcome)

    @classmethod
    def error(cls, status: int, code: str, message: str, outcome: str = "") -> "Reply":
        """The service's error shape (`connections.errors.error_document`)."""
        return cls.json(status, error_document(code, message), outcome)


PING = Reply(200, outcome="ping")
QUEUED = Reply.json(202, {"status": "queued"}, OUTCOME_QUEUED)
DUPLICATE_REPLY = Reply.json(202, {"status": "duplicate"}, OUTCOME_DUPLICATE)
SPOOLED = Reply.json(202, {"status": "spooled"}, OUTCOME_SPOOLED)
NOT_FOUND = Reply.error(404, "not_found", "no connection with that id")
GONE = Reply.error(410, "gone", "this connection was deleted; disable the webhook")
INVALID_JSON = Reply.error(400, "invalid_json", "the body is not UTF-8 JSON")
NOT_POST = Reply.error(405, "method_not_allowed", "deliveries are POSTed")
DATABASE_UNAVAILABLE = Reply.error(503, "unavailable", "the database is unavailable; the delivery was not accepted")
STORAGE_UNAVAILABLE = Reply.error(
    503, "unavailable", "storage is unavailable; the delivery was not accepted", UNSTORED
)
CRASHED = Reply.error(500, "internal_error", "an internal error occurred; it has been logged")

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


def read_body(environ: dict, limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes (then not read)."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:  # the server has checked it is a number
        size = int(length)
        return None if size > limit else stream.read(size)
    if environ.get("wsgi.input_terminated"):  # chunked: read to its end, one byte past the limit at most
        body = stream.read(limit + 1)
        return None if len(body) > limit else body
    return b""


def environ_key(header: str) -> str:
    """Where WSGI puts a request header."""
    return "HTTP_" + header.upper().replace("-", "_")
