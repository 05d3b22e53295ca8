"""Name resolution for tests: `*.myshopify.com` answers 127.0.0.1, every other name resolves as usual.

Storelink reaches a store through `stores.urls.resolve`, which calls `socket.getaddrinfo` at
each new connection and then connects to the address it got (`stores.transport`); patching
`socket.getaddrinfo` therefore covers the admin API's URL check and the store client alike, with
TLS still checked against the shop's name. `loopback_names` patches this process only; a
service started as a subprocess (gunicorn, RQ workers) gets the same override from
`subprocess_environment()`, whose PYTHONPATH brings in tests/loopback_site/sitecustomize.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

LOOPBACK = "127.0.0.1"
SUFFIX_VARIABLE = "STORELINK_TEST_LOOPBACK_SUFFIX"
SITE_DIRECTORY = Path(__file__).resolve().parent / "loopback_site"


def _resolver(original: Callable, suffix: str) -> Callable:
    """A getaddrinfo answering 127.0.0.1 for names ending in `suffix` (or the bare domain)."""
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

    return getaddrinfo


@contextlib.contextmanager
def loopback_names(suffix: str = ".myshopify.com") -> Iterator[None]:
    """While active, names ending in `suffix` (and the bare domain) resolve to 127.0.0.1 only."""
    original = socket.getaddrinfo
    socket.getaddrinfo = _resolver(original, suffix)
    try:
        yield
    finally:
        socket.getaddrinfo = original


def loopback_myshopify() -> contextlib.AbstractContextManager[None]:
    """`*.myshopify.com` -> 127.0.0.1, for the Shopify emulator."""
    return loopback_names(".myshopify.com")


def install_from_environment() -> None:
    """Patch this process for good when STORELINK_TEST_LOOPBACK_SUFFIX is set (sitecustomize calls it)."""
    suffix = os.environ.get(SUFFIX_VARIABLE)
    if suffix:
        socket.getaddrinfo = _resolver(socket.getaddrinfo, suffix)


def subprocess_environment(suffix: str = ".myshopify.com") -> dict[str, str]:
    """Variables that give a Python subprocess the same override (e.g. start_service(extra=...))."""
    path = os.pathsep.join(filter(None, [str(SITE_DIRECTORY), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, SUFFIX_VARIABLE: suffix}
