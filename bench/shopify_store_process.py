"""`python -m bench.shopify_store_process ORDERS START`: the Shopify emulator with ORDERS orders, in a process of its own.

The orders are modified a second apart from START (ISO). Its cost bucket is made large enough
never to throttle, so a poll's figures are Storelink's rather than Shopify's rate limit. It
prints one JSON line (`base_url`, `token`, `secret`, `ca_file`) once it serves, then reads
commands: `webhooks DELIVERY_URL` subscribes the app's topics (as creating the connection
would have) and answers `ok`; end of input stops it. Its environment must resolve
`*.myshopify.com` to loopback (tests.resolver.subprocess_environment).
"""

import json
import sys
from datetime import datetime

from stores.shopify.webhooks import TOPICS
from tests.shopify_emulator import ShopifyEmulator

# Never throttled: the bench measures Storelink, not Shopify's 100 points a second.
BUCKET = 1e12
SCOPES = ["read_orders", "read_products", "read_all_orders"]


class Clock:
    """A clock the filler moves a second per order, then left where it is."""

    def __init__(self, start: str):
        self.now = datetime.fromisoformat(start).timestamp()

    def __call__(self) -> float:
        return self.now


def main(argv: list[str]) -> int:
    orders, start = int(argv[0]), argv[1]
    clock = Clock(start)
    shop = ShopifyEmulator(clock=clock, auto_deliver=False, bucket_size=BUCKET, restore_rate=BUCKET)
    with shop:
        app = shop.create_legacy_app(scopes=SCOPES)
        mug = shop.create_product(title="Mug", variants=[{"sku": "MUG-1", "price": "8.99"}, {"sku": "MUG-2", "price": "19.00"}])
        for number in range(orders):
            clock.now += 1
            shop.create_order(
                email=f"buyer{number}@example.com",
                financial_status="paid",
                line_items=[{"variant_id": variant["id"], "quantity": 1 + number % 2} for variant in mug["variants"]],
            )
        print(json.dumps({"base_url": shop.base_url, "token": app.access_token, "secret": app.secret, "ca_file": shop.ca_file}), flush=True)
        for line in sys.stdin:
            command, *args = line.split()
            if command == "webhooks":
                for topic in TOPICS:
                    shop.create_subscription(app, topic, args[0])
                print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
