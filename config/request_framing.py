"""Whether an HTTP/1.1 request has wholly arrived, judged from its bytes so far.

A scan of the framing only (where the head ends, Content-Length, chunked transfer coding),
not a parser: gunicorn parses every request afterwards and refuses what is malformed. So
whenever the framing is in doubt (a malformed or repeated Content-Length, an unknown
transfer coding), the request counts as arrived and gunicorn's parser decides at once, from
the bytes already read.
"""

import enum
import re

CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# The head's fields that frame the body, each on a line of its own (one regular expression
# over the head: this runs in the worker's event loop for every request).
FRAMING_FIELDS = re.compile(rb"\r\n(content-length|transfer-encoding|expect):([^\r\n]*)(?=\r\n)", re.IGNORECASE)


class Framing(enum.Enum):
    """How far a request has arrived."""

    WAITING = "waiting"  # more bytes are needed
    WAITING_FOR_CONTINUE = "waiting for 100 Continue"  # the head asks for 100 Continue before the body
    ARRIVED = "arrived"  # the whole request (or all there is to judge it by) is here
    ARRIVED_BODY_TOO_LARGE = "arrived, body too large"  # the head is here; its body is over the limit, not waited for


def framing(data: bytes | bytearray, *, body_limit: int, head_limit: int) -> Framing:
    """How far the request at the start of `data` has arrived (`head_limit`: the parser's own bound)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end == -1:
        return Framing.ARRIVED if len(data) > head_limit else Framing.WAITING  # too long: the parser refuses it
    body_start = head_end + 4
    fields: dict[bytes, list[bytes]] = {}
    for match in FRAMING_FIELDS.finditer(data, 0, head_end + 2):
        fields.setdefault(match[1].lower(), []).append(match[2].strip().lower())
    lengths = fields.get(b"content-length", [])
    codings = fields.get(b"transfer-encoding", [])
    if codings:
        if codings != [b"chunked"] or lengths:
            return Framing.ARRIVED  # the parser refuses or decides
        end = chunked_body_end(data, body_start)
        if end is None:
            if len(data) - body_start > body_limit:
                return Framing.ARRIVED_BODY_TOO_LARGE
            return _waiting_for_body(data, fields, body_start == len(data))
        return Framing.ARRIVED
    if not lengths:
        return Framing.ARRIVED  # no body
    if len(lengths) > 1 or not lengths[0].isdigit():
        return Framing.ARRIVED  # the parser refuses it
    length = int(lengths[0])
    if length > body_limit:
        return Framing.ARRIVED_BODY_TOO_LARGE
    if len(data) - body_start >= length:
        return Framing.ARRIVED
    return _waiting_for_body(data, fields, body_start == len(data))


def _waiting_for_body(data: bytes | bytearray, fields: dict[bytes, list[bytes]], nothing_yet: bool) -> Framing:
    """WAITING, or WAITING_FOR_CONTINUE when an HTTP/1.1 client waits for 100 Continue before sending the body."""
    if nothing_yet and fields.get(b"expect") == [b"100-continue"] and data.startswith(b" HTTP/1.1", data.find(b"\r\n") - 9):
        return Framing.WAITING_FOR_CONTINUE
    return Framing.WAITING


def chunked_body_end(data: bytes | bytearray, start: int) -> int | None:
    """Where a chunked body that begins at `start` ends (after its trailers), or None while it is incomplete.

    Malformed framing ends it where the scan stops: the parser then refuses the request.
    """
    position = start
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end == -1:
            return None
        size_text = bytes(data[position:line_end]).split(b";", 1)[0].strip()
        if not CHUNK_SIZE.fullmatch(size_text):
            return line_end  # not a chunk size: malformed
        size = int(size_text, 16)
        if size == 0:  # the last chunk, then trailer fields, then an empty line
            end = data.find(b"\r\n\r\n", line_end)
            return None if end == -1 else end + 4
        position = line_end + 2 + size + 2
        if position > len(data):
            return None
