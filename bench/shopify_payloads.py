"""Signed Shopify `orders/updated` deliveries: REST-style order bodies as the Shopify emulator writes them."""

import json

from stores.shopify.deliveries import SIGNATURE_HEADER, TOPIC_HEADER
from stores.signatures import sign
from tests.factories import FIXTURE_SECRET
from tests.shopify_emulator import ShopifyEmulator

TOPIC = "orders/updated"
# Six lines, as the WooCommerce bodies carry.
LINE_ITEMS = 6


def signed_orders(count: int, *, secret: str = FIXTURE_SECRET) -> list[tuple[bytes, dict[str, str]]]:
    """`count` distinct orders/updated deliveries (body, headers), from an emulator that is never served."""
    shop = ShopifyEmulator(auto_deliver=False)
    mug = shop.create_product(title="Mug", variants=[{"sku": f"MUG-{n}", "price": "8.99"} for n in range(LINE_ITEMS)])
    deliveries = []
    for number in range(count):
        order = shop.create_order(
            email=f"buyer{number}@example.com",
            line_items=[{"variant_id": variant["id"], "quantity": 1 + (number + position) % 3}
                        for position, variant in enumerate(mug["variants"])],
        )
        body = json.dumps(order, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", TOPIC_HEADER: TOPIC, SIGNATURE_HEADER: sign(body, secret)}
        deliveries.append((body, headers))
    return deliveries
