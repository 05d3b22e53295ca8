"""Signed `order.updated` deliveries of about 4 KB, built from a real WooCommerce capture."""

import copy
import json
from datetime import UTC, datetime, timedelta

from jobs.buffer import envelope
from stores.signatures import sign
from stores.woocommerce.deliveries import SIGNATURE_HEADER
from tests.factories import FIXTURE_SECRET
from tests.fixtures import load_delivery

TEMPLATE = load_delivery("04")  # a real order.updated delivery (one line item, about 2 KB)
HEADERS = {key: value for key, value in TEMPLATE.headers.items() if key.startswith("X-WC-") or key == "Content-Type"}
# Six lines bring the body to about 4 KB.
LINE_ITEMS = 6
# Versions are a second apart from here on (the capture's creation time is 10:27:37).
BASE_MODIFIED = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


def order_payload(order_id: int, version: int, *, line_items: int = LINE_ITEMS) -> dict:
    """An order at `version` (later versions are newer), with `line_items` lines."""
    payload = copy.deepcopy(TEMPLATE.json())
    line = payload["line_items"][0]
    lines = []
    for position in range(line_items):
        item = copy.deepcopy(line)
        item["id"] = order_id * 10 + position
        item["product_id"] = 10 + position
        item["name"] = f"{line['name']} {position + 1}"
        item["sku"] = f"SKU-{position + 1:03d}"
        item["quantity"] = 1 + (order_id + position) % 3
        item["meta_data"][0]["id"] = order_id * 10 + position
        lines.append(item)
    modified = (BASE_MODIFIED + timedelta(seconds=version)).strftime("%Y-%m-%dT%H:%M:%S")
    payload.update(
        id=order_id,
        number=str(order_id),
        total=f"{version}.00",
        customer_note=f"version {version}",
        line_items=lines,
        date_modified=modified,
        date_modified_gmt=modified,
        billing={
            **payload["billing"],
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": f"buyer{order_id}@example.com",
            "address_1": f"{order_id % 997} Analytical Engine Street",
            "city": "London",
            "postcode": "N1 9GU",
            "country": "GB",
        },
    )
    return payload


def signed_order(order_id: int, version: int, *, secret: str = FIXTURE_SECRET) -> tuple[bytes, dict[str, str]]:
    """The body of an order.updated delivery as WooCommerce writes it (`\\/` escapes), and its headers."""
    body = json.dumps(order_payload(order_id, version), separators=(",", ":")).replace("/", "\\/").encode("ascii")
    headers = dict(HEADERS)
    headers[SIGNATURE_HEADER] = sign(body, secret)
    return body, headers


def order_envelope(connection_id: str, body: bytes, received_at: datetime) -> str:
    """The event as the receiver buffers it."""
    return envelope(connection_id, "order", "updated", received_at.isoformat(), body.decode())
