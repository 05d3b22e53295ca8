"""Guarantees of deliveries, for every system: newest wins, duplicates absorbed, deletions and
restores as the store says, hostile deliveries refused or only a question to the store.

Written once against a system's kit (tests/systems.py) and its store emulator
(`tests.emulators.StoreEmulator`); each test runs for every registered system. Headers are
not signed: these tests send a store's own signed bodies again under other headers and
check that nothing changes that the store does not confirm.
"""

import pytest

from jobs.buffer import DEDUP_KEY
from tests.test_receiver import queued


def post(anonymous, system, connection_id: str, topic: str, body: bytes, **signing):
    """Send `body` as the system delivers `topic`, signed with the kit's secret (or `secret=`, `signature=`)."""
    return anonymous.post(system.path(connection_id), data=body, headers=system.headers(topic, body, **signing))


def stored_orders(client, connection_id: str) -> list[dict]:
    return client.get(f"/api/connections/{connection_id}/orders").json["items"]


def order(client, connection_id: str, order_id) -> dict:
    response = client.get(f"/api/connections/{connection_id}/orders/{order_id}")
    assert response.status_code == 200, response.json
    return response.json


def deliver(store, run_jobs) -> list:
    """Let the store send what it has queued (to the live receiver) a second on, then run the workers."""
    store.tick(1)
    sent = store.deliver_pending()
    assert all(result.success for result in sent), sent
    run_jobs()
    return sent


def an_hour_later(redis_client) -> None:
    """The receiver's duplicate window has passed: a replay is buffered again."""
    keys = redis_client.keys(DEDUP_KEY.format(connection_id="*", digest="*"))
    if keys:
        redis_client.delete(*keys)


# Deliveries that carry a whole order (WooCommerce follows order.created with order.updated;
# Shopify sends orders/create alone).
FULL_RECORD = ("order.created", "order.updated")


def one(system, sent: list, *topics: str) -> bytes:
    """The body of the last delivery of one of `topics` among those sent."""
    matching = [body for sent_topic, body in map(system.captured, sent) if sent_topic in topics]
    assert matching, [system.captured(result)[0] for result in sent]
    return matching[-1]


def resend(anonymous, system, store, connection_id: str, topic: str, body: bytes):
    """A store's signed body sent again under another topic: the signature still holds (the body is what is signed)."""
    return post(anonymous, system, connection_id, topic, body, secret=store.connection_fields()["secret"])


def stored_order(store, run_jobs) -> tuple[str, list]:
    """An order created on the store and delivered to Storelink: its id, and the deliveries sent."""
    order_id = store.create_order()
    return order_id, deliver(store, run_jobs)


def later(store, change, record_id: str) -> None:
    """A change on the store a few seconds on (its own modification time)."""
    store.tick(5)
    change(record_id)


def needs_restore(store) -> None:
    if not store.has_restore:
        pytest.skip(f"{store.system} cannot restore a deleted record")


# -- newest wins, duplicates absorbed -------------------------------------------------------


def test_newer_version_wins_and_an_older_one_never_overwrites_it(system, app, anonymous, client, run_jobs):
    connection_id = system.make_connection()
    assert post(anonymous, system, connection_id, "order.updated", system.order_body(93, 2)).status_code == 202
    run_jobs()
    post(anonymous, system, connection_id, "order.updated", system.order_body(93, 1))  # arriving late
    run_jobs()
    page = client.get(f"/api/connections/{connection_id}/orders").json
    assert page["total"] == 1
    assert page["items"][0]["total"] == system.total(2)


def test_the_same_change_twice_leaves_one_row(system, app, anonymous, client, run_jobs, redis_client):
    connection_id = system.make_connection()
    post(anonymous, system, connection_id, "order.updated", system.order_body(93, 1))
    run_jobs()
    # A replay after the receiver's memory of it is gone still changes nothing.
    redis_client.flushdb()
    post(anonymous, system, connection_id, "order.updated", system.order_body(93, 1))
    assert run_jobs() == 1
    assert client.get(f"/api/connections/{connection_id}/orders").json["total"] == 1


def test_a_product_older_than_the_stored_one_changes_nothing(system, app, anonymous, client, run_jobs):
    connection_id = system.make_connection()
    for version in (3, 2):
        assert post(anonymous, system, connection_id, "product.updated", system.product_body(94, version)).status_code == 202
        run_jobs()
    priced = system.priced_id("product", 94)  # the record carrying the price (a Shopify variant)
    assert client.get(f"/api/connections/{connection_id}/products/{priced}").json["price"] == system.total(3)


# -- hostile deliveries ---------------------------------------------------------------------


def test_a_replayed_old_delivery_changes_nothing(system, app, anonymous, client, redis_client, run_jobs):
    connection_id = system.make_connection()
    post(anonymous, system, connection_id, "order.updated", system.order_body(93, 2))
    run_jobs()
    redis_client.flushdb()  # long after: the receiver no longer remembers it
    assert post(anonymous, system, connection_id, "order.updated", system.order_body(93, 1)).status_code == 202  # replayed
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").json["total"] == system.total(2)


def test_a_delivery_signed_with_another_secret_is_401_and_not_queued(system, app, anonymous, redis_client):
    connection_id = system.make_connection()
    response = post(anonymous, system, connection_id, "order.updated", system.order_body(5, 1), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json["error"] == {"code": "invalid_signature", "message": "signature does not match the body"}
    assert queued(redis_client) == 0


def test_a_body_changed_after_signing_is_401(system, app, anonymous, redis_client):
    connection_id = system.make_connection()
    signed = system.order_body(5, 1)
    forged = system.order_body(5, 2)
    response = post(anonymous, system, connection_id, "order.updated", forged, signature=system.headers(
        "order.updated", signed)[system.deliveries.signature_header])
    assert response.status_code == 401
    assert queued(redis_client) == 0


def test_a_topic_storelink_does_not_take_is_400_by_name(system, app, anonymous, redis_client):
    connection_id = system.make_connection()
    body = system.order_body(5, 1)
    headers = {**system.headers("order.updated", body), system.deliveries.topic_header: "coupon.created"}
    response = anonymous.post(system.path(connection_id), data=body, headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unsupported_topic"
    assert "coupon.created" in response.json["error"]["message"]
    assert queued(redis_client) == 0


@pytest.mark.parametrize(("sent", "topic"), [("order", "product.updated"), ("product", "order.created")])
def test_a_record_sent_under_the_other_resource_is_refused(system, app, anonymous, redis_client, sent, topic):
    connection_id = system.make_connection()
    body = system.order_body(5, 1) if sent == "order" else system.product_body(5, 1)
    response = post(anonymous, system, connection_id, topic, body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_payload"
    assert queued(redis_client) == 0


# -- deletions and restores, as the store says ------------------------------------------------


def test_delete_restore_and_delete_again_within_a_minute_ends_deleted(system, client, system_store, connect_system, run_jobs):
    needs_restore(system_store)
    connection_id = connect_system()
    order_id, _ = stored_order(system_store, run_jobs)
    later(system_store, system_store.delete_order, order_id)
    first = one(system, deliver(system_store, run_jobs), "order.deleted")
    assert order(client, connection_id, order_id)["deleted"] is True
    later(system_store, system_store.restore_order, order_id)
    deliver(system_store, run_jobs)
    assert order(client, connection_id, order_id)["deleted"] is False
    later(system_store, system_store.delete_order, order_id)
    second = one(system, deliver(system_store, run_jobs), "order.deleted")
    assert second == first  # the deletion names the id only, both times
    assert order(client, connection_id, order_id)["deleted"] is True


def test_the_same_sequence_stored_in_one_batch_ends_where_the_store_is(system, client, system_store, connect_system, run_jobs):
    needs_restore(system_store)
    connection_id = connect_system()
    order_id, _ = stored_order(system_store, run_jobs)
    for change in (system_store.delete_order, system_store.restore_order, system_store.delete_order):
        later(system_store, change, order_id)
        system_store.deliver_pending()  # delivered and buffered; nothing stored yet
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is True


def test_an_update_resent_as_a_deletion_deletes_nothing(system, client, anonymous, system_store, connect_system, run_jobs, redis_client):
    connection_id = connect_system()
    order_id, sent = stored_order(system_store, run_jobs)
    update = one(system, sent, *FULL_RECORD)
    an_hour_later(redis_client)
    assert resend(anonymous, system, system_store, connection_id, "order.deleted", update).status_code == 202
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is False
    assert system.record_reads(system_store, "order", order_id) == 1  # the store was asked, and said live


def test_an_old_version_resent_as_a_restore_does_not_bring_a_deleted_order_back(
    system, client, anonymous, system_store, connect_system, run_jobs, redis_client
):
    if not system.has_topic("order.restored"):
        pytest.skip(f"{system.system} delivers no restores")
    connection_id = connect_system()
    order_id, sent = stored_order(system_store, run_jobs)
    update = one(system, sent, *FULL_RECORD)
    later(system_store, system_store.delete_order, order_id)
    deliver(system_store, run_jobs)
    assert order(client, connection_id, order_id)["deleted"] is True
    an_hour_later(redis_client)
    assert resend(anonymous, system, system_store, connection_id, "order.restored", update).status_code == 202
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is True


def test_a_captured_deletion_replayed_after_a_restore_changes_nothing(system, client, anonymous, system_store, connect_system, run_jobs):
    needs_restore(system_store)
    connection_id = connect_system()
    order_id, _ = stored_order(system_store, run_jobs)
    later(system_store, system_store.delete_order, order_id)
    deletion = one(system, deliver(system_store, run_jobs), "order.deleted")
    later(system_store, system_store.restore_order, order_id)
    deliver(system_store, run_jobs)
    for _ in range(2):
        assert resend(anonymous, system, system_store, connection_id, "order.deleted", deletion).status_code == 202
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is False


def test_replayed_deletions_are_one_store_read(system, client, anonymous, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    order_id, _ = stored_order(system_store, run_jobs)
    later(system_store, system_store.delete_order, order_id)
    system_store.tick(1)
    deletion = one(system, system_store.deliver_pending(), "order.deleted")
    for _ in range(20):
        assert resend(anonymous, system, system_store, connection_id, "order.deleted", deletion).status_code == 202
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is True
    assert system.record_reads(system_store, "order", order_id) == 1


def test_a_full_record_sent_as_a_deletion_is_only_a_question_to_the_store(
    system, client, anonymous, system_store, connect_system, run_jobs, redis_client
):
    connection_id = connect_system()
    order_id, sent = stored_order(system_store, run_jobs)
    update = one(system, sent, *FULL_RECORD)
    later(system_store, system_store.delete_order, order_id)  # its own delivery is not sent
    an_hour_later(redis_client)
    resend(anonymous, system, system_store, connection_id, "order.deleted", update)
    run_jobs()
    assert order(client, connection_id, order_id)["deleted"] is True  # because the store says so
