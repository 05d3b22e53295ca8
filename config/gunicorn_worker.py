"""The web process's gunicorn worker: a request gets a thread only once it has wholly arrived.

gunicorn's gthread worker hands a connection to a thread as soon as its first bytes arrive,
and the thread then blocks reading the rest: 24 clients that sent half a request line (or a
head announcing a body, and one byte of it) held every thread, and health checks and
deliveries timed out for as long as they stayed open. Here the worker's event loop reads each
request without blocking until it is complete (`config.request_framing`), and only then
hands it, already read, to a thread; what has not arrived within 30 seconds is closed
(GUNICORN_REQUEST_READ_SECONDS). A stalled client costs a socket and its bytes so far, never a thread.

Subclasses gunicorn 27's gthread worker (`enqueue_req`, `handle`, `handle_request`, `murder_pending`): the
pyproject pins gunicorn to 27.x for that.
"""

import os
import selectors
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker

from config import load_settings
from config.request_framing import Framing, framing

# A request's head and body must arrive within this many seconds of its connection's opening
# (or, kept alive, of its first byte); a store sends a delivery at once, in one piece.
# GUNICORN_REQUEST_READ_SECONDS changes it.
DEFAULT_REQUEST_READ_SECONDS = 30.0
# All requests still arriving in one worker may hold this many megabytes together; past it the
# longest-waiting are closed first (a stalled client's bytes, not a fresh delivery's).
# GUNICORN_ARRIVING_MB changes it.
DEFAULT_ARRIVING_MB = 64
READ_SIZE = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@dataclass
class Arrival:
    """A request being read by the event loop."""

    deadline: float
    data: bytearray = field(default_factory=bytearray)
    continued: bool = False  # 100 Continue sent
    waiting: bool = False  # in the event loop's poller and `arriving`
    outcome: Framing = Framing.WAITING


class WholeRequestWorker(ThreadWorker):
    """gthread, except that threads are given whole requests only."""

    def init_process(self) -> None:
        self.arriving: deque = deque()  # connections whose request is arriving, oldest first
        self.arriving_bytes = 0
        self.stop_deadline: float | None = None
        self.body_limit = load_settings().max_webhook_bytes
        self.read_seconds = float(os.environ.get("GUNICORN_REQUEST_READ_SECONDS", DEFAULT_REQUEST_READ_SECONDS))
        self.arriving_budget = int(float(os.environ.get("GUNICORN_ARRIVING_MB", DEFAULT_ARRIVING_MB)) * 1024 * 1024)
        # gunicorn's parser refuses a head longer than this from what is buffered, without reading more.
        field_size = self.cfg.limit_request_field_size or 8190
        self.head_limit = self.cfg.limit_request_line + self.cfg.limit_request_fields * (field_size + 2) + 4
        super().init_process()

    # -- reading requests in the event loop ------------------------------------------------

    def enqueue_req(self, conn) -> None:
        """Read the connection's next request without a thread; a thread takes it once it is whole."""
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            return super().enqueue_req(conn)  # the bytes are the TLS layer's or HTTP/2's: as gthread does
        # Bytes of this request that came with the last one (pipelined) are already read.
        pending = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.arrival = Arrival(deadline=time.monotonic() + self.read_seconds, data=bytearray(pending))
        self.arriving_bytes += len(pending)
        conn.sock.setblocking(False)
        if not self._read_arriving(conn):
            conn.arrival.waiting = True
            self.arriving.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_arriving, conn))

    def _read_arriving(self, conn, _sock=None) -> bool:
        """Read what the socket holds; True once the connection no longer waits (handed to a thread, or closed)."""
        arrival = conn.arrival
        while True:
            if arrival.data:
                arrival.outcome = framing(arrival.data, body_limit=self.body_limit, head_limit=self.head_limit)
                if arrival.outcome in (Framing.ARRIVED, Framing.ARRIVED_BODY_TOO_LARGE):
                    self._hand_over(conn)
                    return True
                if arrival.outcome is Framing.WAITING_FOR_CONTINUE and not arrival.continued:
                    arrival.continued = True
                    _send_quietly(conn.sock, CONTINUE)  # gunicorn sends its own as well; clients take several
            try:
                data = conn.sock.recv(READ_SIZE)
            except BlockingIOError:
                return False
            except OSError:
                data = b""
            if not data:  # closed by the client, or reset
                self._close_arriving(conn)
                return True
            arrival.data += data
            self.arriving_bytes += len(data)
            if self.arriving_bytes > self.arriving_budget:
                self._close_longest_waiting(sparing=conn)

    def _hand_over(self, conn) -> None:
        """Give the whole request to a thread (`handle` puts its bytes back in front of the parser)."""
        self._stop_waiting(conn)
        self.arriving_bytes -= len(conn.arrival.data)
        conn.data_ready = True  # gthread would otherwise wait for bytes in the thread
        super().enqueue_req(conn)

    def _close_arriving(self, conn) -> None:
        self._stop_waiting(conn)
        self.arriving_bytes -= len(conn.arrival.data)
        conn.arrival = None
        self.nr_conns -= 1
        conn.close()

    def _stop_waiting(self, conn) -> None:
        """Take the connection out of the event loop's care, if it was waiting there."""
        if conn.arrival.waiting:
            conn.arrival.waiting = False
            self.poller.unregister(conn.sock)
            self.arriving.remove(conn)

    def _close_longest_waiting(self, sparing) -> None:
        """Close the requests that have waited longest (but `sparing`) until the arriving bytes fit the budget."""
        for conn in list(self.arriving):
            if self.arriving_bytes <= self.arriving_budget:
                break
            if conn is not sparing:
                self._close_arriving(conn)

    def murder_pending(self) -> None:
        """Close requests that did not arrive in time (within STOP_KEEPALIVE_LINGER once stopping)."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stop_deadline is None:
            self.stop_deadline = now + STOP_KEEPALIVE_LINGER
        stopped = self.stop_deadline is not None and self.stop_deadline <= now
        while self.arriving and (stopped or self.arriving[0].arrival.deadline <= now):
            self._close_arriving(self.arriving[0])

    # -- in the thread ---------------------------------------------------------------------

    def handle(self, conn):
        """Serve the request the event loop read, from its bytes; then as gthread does."""
        arrival = getattr(conn, "arrival", None)
        if arrival is not None:
            conn.arrival = None
            conn.close_after = arrival.outcome is Framing.ARRIVED_BODY_TOO_LARGE
            conn.init()  # the parser, on a new connection
            conn.parser.unreader.unread(bytes(arrival.data))
        return super().handle(conn)

    def handle_request(self, req, conn):
        """A request whose body was not waited for closes its connection once answered: nothing reads that body."""
        if getattr(conn, "close_after", False):
            req.force_close()
        return super().handle_request(req, conn)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send what the socket takes at once; a client that does not read gets nothing more."""
    try:
        sock.send(data)
    except OSError:
        pass
