"""Whether a store can reach PUBLIC_URL, judged at creation: a warning when it plainly cannot.

A public store cannot deliver to a loopback or private address, nor to a port its system refuses
(`Connector.delivery_ports`). The connection is saved all the same: the address may be reachable
through a tunnel or a proxy this check cannot see, and polling repairs what webhooks miss.
"""

import ipaddress
from urllib.parse import urlsplit

from stores.connector import Connector
from stores.urls import is_public, resolve

DEFAULT_PORTS = {"http": 80, "https": 443}


def delivery_warnings(public_url: str, api_url: str, connector: Connector) -> list[str]:
    """Plain sentences on why `connector`'s store at `api_url` cannot deliver webhooks to `public_url`;
    none when it may."""
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
    ports = connector.delivery_ports
    if ports is not None and port not in ports and port != (store.port or DEFAULT_PORTS.get(store.scheme)):
        allowed = ", ".join(str(allowed) for allowed in ports[:-1]) + f" and {ports[-1]}"
        warnings.append(
            f"PUBLIC_URL ({public_url}) uses port {port}: {connector.label} delivers webhooks only to ports "
            f"{allowed}, so its webhooks will not arrive. Serve PUBLIC_URL on one of those."
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
