"""Slow clients against the real web process: they must not keep health checks or deliveries waiting.

WooCommerce never sends a delivery again and disables a webhook after 7 failures, so a few
dozen connections that open and then stall must not make the receiver time out.
"""

import http.client
import io
import socket
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the worker processes"),
]

SLOW_CONNECTIONS = 64
# The bound for a health check or a delivery while the slow connections are open.
ANSWER_WITHIN_SECONDS = 2.0
CHECKS = 10
SLOW_REQUESTS = {
    "sends nothing": b"",
    "sends half a request line": b"POST /webhooks/woocommerce/abc HTT",
    "sends headers and one byte of a body": (
        b"POST /webhooks/woocommerce/abc HTTP/1.1\r\nHost: storelink\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    ),
}


def open_slow_connections(address: tuple[str, int], start: bytes, count: int = SLOW_CONNECTIONS) -> list[socket.socket]:
    """`count` connections that send `start` and then nothing."""
    connections = []
    for _ in range(count):
        connection = socket.create_connection(address, timeout=5)
        if start:
            connection.sendall(start)
        connections.append(connection)
    return connections


def timed(send) -> tuple[float, requests.Response]:
    """Seconds `send()` took, and its response."""
    started = time.monotonic()
    response = send()
    return time.monotonic() - started, response


def test_slow_clients_do_not_hold_up_health_checks_or_deliveries(start_service):
    service = start_service(workers=0)
    connection_id = make_connection()
    delivery = load_delivery("02")
    headers = {k: v for k, v in delivery.headers.items() if k not in ("Host", "Content-Length", "Connection")}
    address = ("127.0.0.1", urlsplit(service.url).port)
    slow = [connection for start in SLOW_REQUESTS.values() for connection in open_slow_connections(address, start)]
    try:
        time.sleep(0.5)  # every slow connection accepted and waiting
        seconds = []
        for _ in range(CHECKS):
            # A new connection each time, as a load balancer's health check and WooCommerce's deliveries come.
            took, health = timed(lambda: requests.get(f"{service.url}/healthz", timeout=10))
            assert health.status_code == 200
            seconds.append(took)
            took, delivered = timed(lambda: requests.post(
                f"{service.url}/webhooks/woocommerce/{connection_id}", data=delivery.body, headers=headers, timeout=10,
            ))
            assert delivered.status_code == 202, delivered.text
            seconds.append(took)
        still_open = sum(1 for connection in slow if _is_open(connection))
    finally:
        for connection in slow:
            connection.close()
    print(f"\n{SLOW_CONNECTIONS} slow connections of each kind ({still_open} of {len(slow)} open after the checks): "
          f"health checks and deliveries answered in {min(seconds) * 1000:.0f}-{max(seconds) * 1000:.0f} ms "
          f"(in order: {', '.join(f'{s * 1000:.0f}' for s in seconds)})")
    assert still_open == len(slow)  # held open all along: the answers did not wait for them to go
    assert max(seconds) < ANSWER_WITHIN_SECONDS


def _is_open(connection: socket.socket) -> bool:
    """The server has not closed the connection (nor sent anything on it)."""
    connection.setblocking(False)
    try:
        return connection.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_requests_that_do_not_arrive_in_time_are_closed(start_service):
    service = start_service(workers=0, extra={"GUNICORN_REQUEST_READ_SECONDS": "2"})
    address = ("127.0.0.1", urlsplit(service.url).port)
    started = time.monotonic()
    stalled = [open_slow_connections(address, start, count=1)[0] for start in SLOW_REQUESTS.values()]
    try:
        wait_until(lambda: not any(_is_open(connection) for connection in stalled), timeout=30, what="stalled requests closed")
    finally:
        for connection in stalled:
            connection.close()
    print(f"\nstalled requests closed after {time.monotonic() - started:.1f} s (GUNICORN_REQUEST_READ_SECONDS=2)")
    assert requests.get(f"{service.url}/healthz", timeout=10).status_code == 200


def test_past_the_budget_of_arriving_bytes_the_longest_waiting_requests_are_closed(start_service):
    service = start_service(workers=0, extra={"GUNICORN_ARRIVING_MB": "1", "WEB_CONCURRENCY": "1"})
    address = ("127.0.0.1", urlsplit(service.url).port)
    part = b"POST /webhooks/woocommerce/abc HTTP/1.1\r\nHost: storelink\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 300_000
    stalled = []
    try:
        for _ in range(6):  # 300 KB each, stalled: the fourth takes the one worker past 1 MB
            stalled.append(open_slow_connections(address, part, count=1)[0])
            time.sleep(0.3)
        wait_until(lambda: not _is_open(stalled[2]), timeout=10, what="the oldest stalled requests closed")
        assert [_is_open(connection) for connection in stalled] == [False, False, False, True, True, True]
        assert requests.get(f"{service.url}/healthz", timeout=10).status_code == 200
    finally:
        for connection in stalled:
            connection.close()


def test_requests_that_arrive_slowly_or_framed_otherwise_are_served_whole(start_service):
    service = start_service(workers=0)
    connection_id = make_connection()
    delivery = load_delivery("02")
    address = ("127.0.0.1", urlsplit(service.url).port)
    head = (
        f"POST /webhooks/woocommerce/{connection_id} HTTP/1.1\r\nHost: storelink\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in delivery.headers.items() if name not in ("Host", "Content-Length", "Connection"))
    ).encode()
    whole = head + f"Content-Length: {len(delivery.body)}\r\n\r\n".encode() + delivery.body

    with socket.create_connection(address, timeout=10) as connection:  # in pieces, a pause between each
        for start in range(0, len(whole), len(whole) // 5 + 1):
            connection.sendall(whole[start:start + len(whole) // 5 + 1])
            time.sleep(0.2)
        assert [status for status, _ in read_responses(connection, 1)] == [202]

    with socket.create_connection(address, timeout=10) as connection:  # two at once (pipelined), then a health check
        connection.sendall(whole + whole + b"GET /healthz HTTP/1.1\r\nHost: storelink\r\n\r\n")
        assert [status for status, _ in read_responses(connection, 3)] == [202, 202, 200]

    with socket.create_connection(address, timeout=10) as connection:  # chunked, with a trailer, in two pieces
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (delivery.body[:1000], delivery.body[1000:]))
        connection.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks[:700])
        time.sleep(0.3)
        connection.sendall(chunks[700:] + b"0\r\nX-Trailer: 1\r\n\r\n")
        assert [status for status, _ in read_responses(connection, 1)] == [202]

    with socket.create_connection(address, timeout=10) as connection:  # the body only after 100 Continue
        connection.sendall(head + f"Content-Length: {len(delivery.body)}\r\nExpect: 100-continue\r\n\r\n".encode())
        assert connection.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n")
        connection.sendall(delivery.body)
        assert [status for status, _ in read_responses(connection, 1)] == [202]

    with socket.create_connection(address, timeout=10) as connection:  # over the limit: answered at once, then closed
        connection.sendall(head + b"Content-Length: 3000000\r\n\r\n{")
        [(status, headers)] = read_responses(connection, 1)
        assert (status, headers["Connection"]) == (413, "close")
        assert connection.recv(1) == b""


def read_responses(connection: socket.socket, count: int) -> list[tuple[int, http.client.HTTPMessage]]:
    """The status and headers of the next `count` responses on `connection` (interim 100s skipped)."""
    reader = _KeptOpen(socket.SocketIO(connection, "rb"))  # one buffer for all: they may have arrived together
    source = type("Source", (), {"makefile": lambda self, *args, **kwargs: reader})()
    answers = []
    for _ in range(count):
        response = http.client.HTTPResponse(source)
        response.begin()
        response.read()
        answers.append((response.status, response.headers))
    return answers


class _KeptOpen(io.BufferedReader):
    """A reader that each response may close without closing it for the next."""

    def close(self) -> None:
        pass
