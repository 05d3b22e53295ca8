"""Name resolution for tests: `*.myshopify.com` answers 127.0.0.1, every other name resolves as usual.

Storelink reaches a store through `stores.urls.resolve`, which calls `socket.getaddrinfo` at
each new connection and then connects to the address it got (`stores.transport`); patching
`socket.getaddrinfo` therefore covers the admin API's URL check and the store client alike, with
TLS still checked against the shop's name. Only this process is patched: services started as
subprocesses resolve for real.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def loopback_names(suffix: str = ".myshopify.com") -> Iterator[None]:
    """While active, names ending in `suffix` (and the bare domain) resolve to 127.0.0.1 only."""
    original = socket.getaddrinfo
    bare = suffix.lstrip(".").lower()

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str):
            name = name.rstrip(".").lower()
            if name == bare or name.endswith(suffix.lower()):
                if family not in (0, socket.AF_INET, socket.AF_UNSPEC):
                    raise socket.gaierror(socket.EAI_ADDRFAMILY, "Address family for hostname not supported")
                return original(LOOPBACK, port, socket.AF_INET, type, proto, flags)
        return original(host, port, family, type, proto, flags)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = original


def loopback_myshopify() -> contextlib.AbstractContextManager[None]:
    """`*.myshopify.com` -> 127.0.0.1, for the Shopify emulator."""
    return loopback_names(".myshopify.com")
