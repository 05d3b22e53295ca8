"""`python -m bench.store_process ORDERS START`: the store emulator with ORDERS orders, in a process of its own.

Its memory is not the poll's. The orders are modified a second apart from START (ISO). It
prints one JSON line (`base_url`, `key`, `secret`) once it serves, then reads commands:
`webhooks DELIVERY_URL SECRET` registers Storelink's webhooks (as a previous poll would have
left them) and answers `ok`; end of input stops it.
"""

import json
import sys

from stores.woocommerce.webhooks import TOPICS
from tests.woo_emulator import ManualClock, WooEmulator

LINES = [
    {"product_id": 0, "name": "Mug", "quantity": 2, "price": "8.99"},
    {"product_id": 0, "name": "Poster", "quantity": 1, "price": "19.00"},
]


def fill(store: WooEmulator, clock: ManualClock, orders: int) -> None:
    """Orders as a shop has them: a customer, two lines, paid; one a second."""
    for number in range(orders):
        clock.advance(1)
        store.create_order(
            status="processing" if number % 4 else "completed",
            billing={"first_name": "Ada", "last_name": "Lovelace", "email": f"buyer{number}@example.com",
                     "address_1": f"{number % 997} Analytical Engine Street", "city": "London", "country": "GB"},
            line_items=LINES,
            payment_method="bacs",
        )


def main(argv: list[str]) -> int:
    orders, start = int(argv[0]), argv[1]
    clock = ManualClock(start)
    with WooEmulator(clock=clock) as store:
        key, secret = store.new_key()
        fill(store, clock, orders)
        print(json.dumps({"base_url": store.base_url, "key": key, "secret": secret}), flush=True)
        for line in sys.stdin:
            command, *args = line.split()
            if command == "webhooks":
                url, webhook_secret = args
                for topic in TOPICS:
                    store.create_webhook(topic, url, secret=webhook_secret, name=f"Storelink ({topic})", ping=False)
                print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
