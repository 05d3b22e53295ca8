"""Store URLs the admin API will talk to: http(s) only, and no internal addresses by default.

Without this check the admin API would be a way to probe the network Storelink runs in.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


class StoreUrlError(ValueError):
    """The store URL is not one Storelink may call; the message says why."""


def check_store_url(url: str, *, allow_private: bool) -> None:
    """Raise StoreUrlError unless `url` is http(s) and, unless allowed, resolves to public addresses only."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise StoreUrlError("must start with http:// or https://")
    if not parts.hostname:
        raise StoreUrlError("must name a host")
    if parts.username or parts.password:
        raise StoreUrlError("must not contain a user name or password; keys go in access_token and secret")
    try:
        port = parts.port
    except ValueError:
        raise StoreUrlError("has an invalid port") from None
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return  # unresolvable: verification reports it as unreachable
    for address in sorted(addresses):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            raise StoreUrlError(
                f"resolves to a non-public address ({ip}); Storelink only calls public stores "
                "unless ALLOW_PRIVATE_STORE_URLS=1 is set"
            )
