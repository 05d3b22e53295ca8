"""Whether a store can reach PUBLIC_URL, judged at creation: a warning when it plainly cannot.

A public store cannot deliver to a loopback or private address, nor (WooCommerce refuses them)
to ports other than 80, 443 and 8080. The connection is saved all the same: the address may be
reachable through a tunnel or a proxy this check cannot see, and polling repairs what webhooks miss.
"""

import ipaddress
from urllib.parse import urlsplit

from stores.urls import is_public, resolve

# The ports WooCommerce delivers to (wp_safe_remote_post's rule), besides the store's own.
DELIVERY_PORTS = (80, 443, 8080)
DEFAULT_PORTS = {"http": 80, "https": 443}


def delivery_warnings(public_url: str, api_url: str) -> list[str]:
    """Plain sentences on why a store at `api_url` cannot deliver webhooks to `public_url`; none when it may."""
    store = urlsplit(api_url)
    if not _resolves_public(store.hostname, store.port or DEFAULT_PORTS.get(store.scheme, 443)):
        return []  # a store on this network may well reach a private address
    ours = urlsplit(public_url)
    port = ours.port or DEFAULT_PORTS.get(ours.scheme, 443)
    warnings = []
    private = _private_address(ours.hostname, port)
    if private is not None:
        warnings.append(
            f"PUBLIC_URL ({public_url}) is {private}, which the store at {store.hostname} cannot reach: "
            "its webhooks will not arrive (only polling will bring changes). Set PUBLIC_URL to an address "
            "the store can reach."
        )
    if port not in DELIVERY_PORTS and port != (store.port or DEFAULT_PORTS.get(store.scheme)):
        warnings.append(
            f"PUBLIC_URL ({public_url}) uses port {port}: WooCommerce delivers webhooks only to ports "
            "80, 443 and 8080, so its webhooks will not arrive. Serve PUBLIC_URL on one of those."
        )
    return warnings


def _addresses(host: str | None, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    if not host:
        return []
    try:
        return [ipaddress.ip_address(address.split("%", 1)[0]) for address in resolve(host, port)]
    except (OSError, UnicodeError):
        return []  # a name we cannot resolve may still resolve where the store is


def _resolves_public(host: str | None, port: int) -> bool:
    addresses = _addresses(host, port)
    return bool(addresses) and all(is_public(address) for address in addresses)


def _private_address(host: str | None, port: int) -> str | None:
    """How `host` is not public ("a loopback address (127.0.0.1)"), or None when it is or cannot be told."""
    for address in _addresses(host, port):
        if address.is_loopback:
            return f"a loopback address ({address})"
        if not is_public(address):
            return f"a private address ({address})"
    return None
