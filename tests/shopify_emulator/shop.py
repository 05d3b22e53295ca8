"""The shop itself as the API shows it, and the payload each change is delivered with."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import rest

VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")

if TYPE_CHECKING:
    from .emulator import ShopifyEmulator


def shop_json_fields(emulator: ShopifyEmulator) -> dict[str, Any]:
    """What rest.shop_json needs."""
    return {"id": emulator.shop_id, "name": emulator.title, "email": f"owner@{emulator.domain}",
            "domain": emulator.domain, "currency": emulator.currency, "timezone": emulator.timezone}


def shop_node(emulator: ShopifyEmulator) -> dict[str, Any]:
    """The Shop object."""
    domain, timezone = emulator.domain, emulator.timezone
    offset = rest.local_time(emulator.store.now(), timezone)[-6:]
    minutes = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    url = f"https://{domain}"
    return {
        "__typename": "Shop", "id": rest.gid("Shop", emulator.shop_id), "name": emulator.title,
        "email": f"owner@{domain}", "contactEmail": f"owner@{domain}", "myshopifyDomain": domain,
        "url": url, "primaryDomain": {"__typename": "Domain", "id": rest.gid("Domain", 1), "host": domain, "url": url},
        "currencyCode": emulator.currency, "enabledPresentmentCurrencies": [emulator.currency],
        "ianaTimezone": timezone, "timezoneAbbreviation": timezone.split("/")[-1][:4].upper(),
        "timezoneOffset": offset.replace(":", ""), "timezoneOffsetMinutes": minutes,
        "plan": {"displayName": "Basic", "partnerDevelopment": False, "shopifyPlus": False},
        "createdAt": "2024-01-15T09:00:00Z", "updatedAt": "2024-01-15T09:00:00Z",
    }


def payload(emulator: ShopifyEmulator, topic: str, record: dict[str, Any]) -> dict[str, Any]:
    """The REST-style body of a delivery: the record, or only its id for deletions."""
    if topic.endswith("/delete"):
        kind = "Order" if topic.startswith("orders") else "Product"
        full = {"id": record["id"], "admin_graphql_api_id": rest.gid(kind, record["id"])}
        return {key: full[key] for key in emulator.deletion_payload_fields}
    if topic.startswith("orders/"):
        return rest.order_json(record, emulator.timezone)
    return rest.product_json(record, emulator.timezone)


def version_served(requested: str, supported: Iterable[str], candidates: Iterable[str],
                   forced: str | None) -> str | None:
    """The version that answers a request for `requested`: itself when supported or a release
    candidate, else the oldest supported (older) or newest (newer); None for no version at all."""
    if forced:
        return forced
    if not VERSION.match(requested):
        return None
    if requested == "unstable" or requested in supported or requested in candidates:
        return requested
    stable = sorted(supported)
    return stable[0] if requested < stable[0] else stable[-1]
