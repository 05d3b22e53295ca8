"""When the web worker judges a request to have wholly arrived (the real server: test_slow_clients)."""

import pytest

from config.request_framing import Framing, chunked_body_end, framing

HEAD = b"POST /webhooks/woocommerce/abc HTTP/1.1\r\nHost: storelink\r\n"


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", Framing.WAITING),
        (b"POST /webhooks/woocommerce/abc HTT", Framing.WAITING),
        (HEAD, Framing.WAITING),
        (b"GET /healthz HTTP/1.1\r\nHost: storelink\r\n\r\n", Framing.ARRIVED),
        (HEAD + b"Content-Length: 5\r\n\r\n{", Framing.WAITING),
        (HEAD + b"content-length: 5\r\n\r\n{}{}{", Framing.ARRIVED),
        (HEAD + b"Content-Length: 5\r\n\r\n{}{}{GET / HTTP/1.1\r\n", Framing.ARRIVED),  # the next request pipelined
        (HEAD + b"Content-Length: 101\r\n\r\n", Framing.ARRIVED_BODY_TOO_LARGE),  # the limit is 100 here
        (HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n", Framing.ARRIVED),  # the parser refuses it
        (HEAD + b"Content-Length: -5\r\n\r\n", Framing.ARRIVED),
        (HEAD + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", Framing.WAITING_FOR_CONTINUE),
        (HEAD + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n{", Framing.WAITING),  # sending anyway
        (HEAD.replace(b"1.1", b"1.0") + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", Framing.WAITING),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", Framing.WAITING),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", Framing.ARRIVED),
        (HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n", Framing.ARRIVED),  # the parser decides
        (HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", Framing.ARRIVED),  # the parser refuses it
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"65\r\n" + b"x" * 101, Framing.ARRIVED_BODY_TOO_LARGE),
        (b"x" * 1001, Framing.ARRIVED),  # a head longer than the parser allows: it refuses it
    ],
)
def test_a_request_arrives_once_its_framing_says_so(data, expected):
    assert framing(data, body_limit=100, head_limit=1000) is expected


@pytest.mark.parametrize(
    "body, end",
    [
        (b"0\r\n\r\n", 5),
        (b"2\r\n{}\r\n0\r\n\r\nGET", 12),
        (b"2;ext=1\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n", 32),
        (b"2\r\n{}\r\n0\r\nX-Trailer: 1\r\n", None),
        (b"2\r\n{", None),
        (b"A\r\n0123456789\r\n0\r\n\r\n", 20),
        (b"zz\r\n", 2),  # not a chunk size: the scan stops and the parser refuses it
        (b"-1\r\n", 2),
    ],
)
def test_the_end_of_a_chunked_body_is_found_after_its_trailers(body, end):
    assert chunked_body_end(body, 0) == end
