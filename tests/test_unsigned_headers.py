"""Only the signed body, or the store's own API, says what happened to a record (issue 13.1): WooCommerce's own cases.

The guarantees every system shares (headers changed on a signed body, replays, deletions and
restores) are tested once for all systems in tests/test_system_deliveries.py; here remain
what only WooCommerce has: force deletes, and products restored from the trash.

WooCommerce signs a delivery's body, never its headers: the topic and the delivery id can be
changed by whoever holds one captured delivery. These tests take real deliveries from the
store emulator, send them again with other headers, and check that nothing changes that the
store does not confirm, while the real sequences (trash, restore, trash again) still end
where the store is.
"""

import pytest

from tests.test_polling import START
from tests.woo_emulator import ManualClock, WooEmulator

RECEIVER = "/webhooks/woocommerce/{}"


@pytest.fixture
def store():
    """An emulator whose clock the test moves, so each change has its own modification time."""
    with WooEmulator(clock=ManualClock(START)) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


def deliver(store, run_jobs) -> list:
    """Let the store send what it has queued (to the live receiver), then run the workers."""
    store.clock.advance(1)
    sent = store.run_cron()
    assert all(result.success for result in sent), [(result.topic, result.status) for result in sent]
    run_jobs()
    return sent


def resend(anonymous, connection_id: str, delivery, **headers):
    """The exact signed bytes of a delivery, with some of its (unsigned) headers changed."""
    sent = {name: value for name, value in delivery.headers.items() if name.lower().startswith("x-wc-")}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return anonymous.post(RECEIVER.format(connection_id), data=delivery.body, headers={**sent, "Content-Type": "application/json"})


def stored_order(store, run_jobs) -> tuple[dict, list]:
    """An order created on the store and delivered to Storelink: the order, and the deliveries sent."""
    created = store.create_order(status="processing")
    return created, deliver(store, run_jobs)


def later(store, change, order_id) -> None:
    """A change on the store a few seconds on (its own modification time)."""
    store.clock.advance(5)
    change(order_id)


def one(sent: list, topic: str):
    matching = [result for result in sent if result.topic == topic]
    assert matching, [result.topic for result in sent]
    return matching[-1]


def order(client, connection_id: str, order_id) -> dict:
    response = client.get(f"/api/connections/{connection_id}/orders/{order_id}")
    assert response.status_code == 200, response.json
    return response.json


def test_a_deletion_of_an_order_since_deleted_for_good_marks_it_deleted(client, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    later(store, store.trash_order, created["id"])
    store.force_delete_order(created["id"])  # emptied from the trash before the delivery went out
    deliver(store, run_jobs)
    assert order(client, connection_id, created["id"])["deleted"] is True


def test_products_are_trashed_and_restored_as_the_store_says(client, anonymous, store, connect, run_jobs):
    connection_id = connect()["id"]
    product = store.create_product(name="Mug", type="simple", regular_price="9.00")
    store.clock.advance(5)
    store.trash_product(product["id"])
    deletion = one(deliver(store, run_jobs), "product.deleted")
    stored = client.get(f"/api/connections/{connection_id}/products/{product['id']}").json
    assert stored["deleted"] is True
    store.clock.advance(5)
    store.restore_product(product["id"])
    deliver(store, run_jobs)
    assert client.get(f"/api/connections/{connection_id}/products/{product['id']}").json["deleted"] is False
    resend(anonymous, connection_id, deletion, X_WC_Webhook_Delivery_ID="replay")
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/products/{product['id']}").json["deleted"] is False
