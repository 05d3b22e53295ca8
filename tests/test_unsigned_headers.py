"""Only the signed body, or the store's own API, says what happened to a record (issue 13.1).

WooCommerce signs a delivery's body, never its headers: the topic and the delivery id can be
changed by whoever holds one captured delivery. These tests take real deliveries from the
store emulator, send them again with other headers, and check that nothing changes that the
store does not confirm, while the real sequences (trash, restore, trash again) still end
where the store is.
"""

import pytest

from jobs.buffer import DEDUP_KEY
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


def an_hour_later(redis_client) -> None:
    """The receiver's duplicate window has passed: a replay is buffered again."""
    keys = redis_client.keys(DEDUP_KEY.format(connection_id="*", digest="*"))
    if keys:
        redis_client.delete(*keys)


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


def store_reads(store, path: str) -> int:
    return sum(1 for request in store.requests if request.method == "GET" and request.path.endswith(path))


def test_trash_restore_and_trash_again_within_a_minute_ends_deleted(client, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    later(store, store.trash_order, created["id"])
    first = one(deliver(store, run_jobs), "order.deleted")
    assert order(client, connection_id, created["id"])["deleted"] is True
    later(store, store.restore_order, created["id"])
    deliver(store, run_jobs)
    assert order(client, connection_id, created["id"])["deleted"] is False
    later(store, store.trash_order, created["id"])
    second = one(deliver(store, run_jobs), "order.deleted")
    assert second.body == first.body  # `{"id": N}` both times
    assert order(client, connection_id, created["id"])["deleted"] is True


def test_the_same_sequence_stored_in_one_batch_ends_where_the_store_is(client, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    for change in (store.trash_order, store.restore_order, store.trash_order):
        store.clock.advance(5)
        change(created["id"])
        store.run_cron()  # delivered and buffered; nothing stored yet
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is True


def test_an_update_resent_as_a_deletion_deletes_nothing(client, anonymous, store, connect, run_jobs, redis_client):
    connection_id = connect()["id"]
    created, sent = stored_order(store, run_jobs)
    update = one(sent, "order.updated")
    an_hour_later(redis_client)
    response = resend(anonymous, connection_id, update, X_WC_Webhook_Topic="order.deleted", X_WC_Webhook_Event="deleted")
    assert response.status_code == 202
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is False
    assert store_reads(store, f"/orders/{created['id']}") == 1  # the store was asked, and said live


def test_an_old_version_resent_as_a_restore_does_not_bring_a_trashed_order_back(client, anonymous, store, connect, run_jobs, redis_client):
    connection_id = connect()["id"]
    created, sent = stored_order(store, run_jobs)
    update = one(sent, "order.updated")
    later(store, store.trash_order, created["id"])
    deliver(store, run_jobs)
    assert order(client, connection_id, created["id"])["deleted"] is True
    an_hour_later(redis_client)
    response = resend(anonymous, connection_id, update, X_WC_Webhook_Topic="order.restored", X_WC_Webhook_Event="restored")
    assert response.status_code == 202
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is True


def test_a_captured_deletion_replayed_after_a_restore_changes_nothing(client, anonymous, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    later(store, store.trash_order, created["id"])
    deletion = one(deliver(store, run_jobs), "order.deleted")
    later(store, store.restore_order, created["id"])
    deliver(store, run_jobs)
    for replay in ("replay-1", "replay-2"):
        assert resend(anonymous, connection_id, deletion, X_WC_Webhook_Delivery_ID=replay).status_code == 202
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is False


def test_replayed_deletions_are_one_store_read(client, anonymous, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    later(store, store.trash_order, created["id"])
    store.clock.advance(1)
    deletion = one(store.run_cron(), "order.deleted")
    for number in range(20):
        assert resend(anonymous, connection_id, deletion, X_WC_Webhook_Delivery_ID=f"replay-{number}").status_code == 202
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is True
    assert store_reads(store, f"/orders/{created['id']}") == 1


def test_a_deletion_of_an_order_since_deleted_for_good_marks_it_deleted(client, store, connect, run_jobs):
    connection_id = connect()["id"]
    created, _ = stored_order(store, run_jobs)
    later(store, store.trash_order, created["id"])
    store.force_delete_order(created["id"])  # emptied from the trash before the delivery went out
    deliver(store, run_jobs)
    assert order(client, connection_id, created["id"])["deleted"] is True


def test_a_full_record_sent_as_a_deletion_is_only_a_question_to_the_store(client, anonymous, store, connect, run_jobs, redis_client):
    connection_id = connect()["id"]
    created, sent = stored_order(store, run_jobs)
    update = one(sent, "order.updated")
    later(store, store.trash_order, created["id"])  # its own delivery is not sent
    an_hour_later(redis_client)
    resend(anonymous, connection_id, update, X_WC_Webhook_Topic="order.deleted", X_WC_Webhook_Event="deleted")
    run_jobs()
    assert order(client, connection_id, created["id"])["deleted"] is True  # because the store says so


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


@pytest.mark.parametrize(("capture", "topic"), [("order.updated", "product.updated"), ("product.created", "order.created")])
def test_a_record_sent_under_the_other_resource_is_refused(anonymous, store, connect, run_jobs, capture, topic):
    connection_id = connect()["id"]
    store.create_order(status="processing", line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}])
    store.create_product(name="Mug", type="simple", regular_price="9.00")
    delivery = one(deliver(store, run_jobs), capture)
    response = resend(anonymous, connection_id, delivery, X_WC_Webhook_Topic=topic, X_WC_Webhook_Resource=topic.split(".")[0])
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_payload"
