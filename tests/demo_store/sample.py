"""The demo store's sample catalogue and orders, and the changes `bin/demo-store` makes to it."""

import itertools
import random
from typing import Any

from tests.woo_emulator import WooEmulator
from tests.woo_emulator.errors import RestError
from tests.woo_emulator.orders import STATUSES as ORDER_STATUSES

CUSTOMERS = (
    ("Ada", "Lovelace", "London", "GB"),
    ("Grace", "Hopper", "Arlington", "US"),
    ("Alan", "Turing", "Manchester", "GB"),
    ("Edsger", "Dijkstra", "Nuenen", "NL"),
)
# The sample orders' statuses, one order each.
SAMPLE_ORDER_STATUSES = ("completed", "processing", "processing", "on-hold", "pending")


class ChangeError(ValueError):
    """A change the demo store cannot make; the message says why."""


def fill(store: WooEmulator) -> None:
    """Products (one with variations) and a few orders, as a small shop has them."""
    store.create_product(name="Mug", sku="MUG-1", regular_price="8.99", manage_stock=True, stock_quantity=40)
    store.create_product(name="Poster", sku="POSTER-1", regular_price="19.00")
    store.create_variable_product(
        "T-shirt",
        {"Size": ["S", "M", "L"]},
        [{"attributes": {"Size": size}, "regular_price": "15.00", "sku": f"TEE-{size}"} for size in ("S", "M", "L")],
        sku="TEE",
    )
    for number, status in enumerate(SAMPLE_ORDER_STATUSES):
        new_order(store, status=status, seed=number)


def new_order(store: WooEmulator, *, status: str = "processing", seed: int | None = None) -> dict[str, Any]:
    """An order of one or two simple products for one of the sample customers."""
    chooser = random.Random(seed)
    first, last, city, country = chooser.choice(CUSTOMERS)
    simple = [product for product in _products(store) if product["type"] == "simple"]
    lines = [
        {"product_id": product["id"], "quantity": chooser.randint(1, 3)}
        for product in chooser.sample(simple, k=min(len(simple), chooser.randint(1, 2)))
    ]
    return store.create_order(
        status=status,
        billing={"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com",
                 "address_1": "1 Demo Street", "city": city, "country": country},
        line_items=lines,
        payment_method="bacs",
    )


def _products(store: WooEmulator) -> list[dict[str, Any]]:
    with store.store.lock:
        ids = sorted(store.store.products)
    return [store.get_product(product_id) for product_id in ids]


def _orders(store: WooEmulator) -> list[dict[str, Any]]:
    with store.store.lock:
        ids = sorted(store.store.orders)
    return [store.get_order(order_id) for order_id in ids]


def describe(store: WooEmulator) -> list[str]:
    """What the store holds, a line per order and product."""
    lines = [f"order {o['id']}: {o['status']}, {o['total']} {o['currency']}, {o['billing']['first_name']}"
             for o in _orders(store)]
    lines += [f"product {p['id']}: {p['name']} ({p['type']}), price {p['price'] or '-'}"
              for p in _products(store)]
    return lines


def apply_change(store: WooEmulator, words: list[str]) -> str:
    """Make the change `words` names (`order new`, `order status 12 completed`, ...); answer what was done."""
    command = " ".join(itertools.islice(words, 2))
    arguments = words[2:]
    try:
        if command == "order new" and not arguments:
            order = new_order(store)
            return f"order {order['id']} created ({order['status']}, {order['total']} {order['currency']})"
        if command == "order status" and len(arguments) == 2:
            order_id, status = _id(arguments[0]), arguments[1]
            if status not in ORDER_STATUSES:
                raise ChangeError(f"status must be one of {', '.join(sorted(ORDER_STATUSES))}, not {status!r}")
            store.update_order(order_id, status=status)
            return f"order {order_id} is now {status}"
        if command in ("order trash", "order restore") and len(arguments) == 1:
            order_id = _id(arguments[0])
            (store.trash_order if command == "order trash" else store.restore_order)(order_id)
            return f"order {order_id} {'moved to the trash' if command == 'order trash' else 'restored'}"
        if command == "product price" and len(arguments) == 2:
            product_id, price = _id(arguments[0]), arguments[1]
            store.update_product(product_id, regular_price=price)
            return f"product {product_id} now costs {price}"
    except RestError as error:  # as the store's REST API would answer
        raise ChangeError(f"the store refused: {error.message}") from None
    except ValueError as error:
        raise ChangeError(str(error)) from None
    raise ChangeError(f"unknown change {' '.join(words)!r}")


def _id(text: str) -> int:
    if not text.isdigit():
        raise ChangeError(f"an id is a number, not {text!r}")
    return int(text)
