"""Store URLs the admin API will talk to: http(s) only, and no internal addresses by default.

Without this check the admin API would be a way to probe the network Storelink runs in. The
check resolves the name; the store client then connects only to addresses it resolved and
checked itself (`stores.transport`), so a name that answers differently the second time
(DNS rebinding) cannot lead it elsewhere.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
# IPv6 ranges that carry an IPv4 address and reach it (NAT64 per RFC 6052's /96 form, the
# local-use NAT64 prefix of RFC 8215, 6to4, Teredo, IPv4-mapped): judged by that address.
NAT64_NETWORKS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
PRIVATE_HINT = "Storelink only calls public stores unless ALLOW_PRIVATE_STORE_URLS=1 is set"


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
        addresses = resolve(parts.hostname, port or 443)
    except (OSError, UnicodeError):
        raise StoreUrlError(f"names a host that does not resolve ({parts.hostname})") from None
    check_addresses(addresses)


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order; raises socket.gaierror."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_addresses(addresses: list[str]) -> None:
    """Raise StoreUrlError unless every address is public (one private answer is enough to refuse)."""
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not is_public(ip):
            raise StoreUrlError(f"resolves to a non-public address ({ip}); {PRIVATE_HINT}")


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `ip` is globally reachable; an IPv6 address that embeds an IPv4 one is judged by it."""
    embedded = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return (embedded or ip).is_global


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that traffic to `ip` reaches, for the IPv6 transition ranges; else None."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if any(ip in network for network in NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]  # the client's address; the first is the Teredo server's
    return None
