"""Guarantees of polling, for every system: webhook healing, reconciliation, resumable polls,
and a webhook and a poll of the same change stored once.

Written once against a system's kit (tests/systems.py) and its store emulator
(`tests.emulators.StoreEmulator`); each test runs for every registered system.
"""

from tests.test_polling import stored, sync, sync_run


def make_orders(store, count: int) -> list[str]:
    """Orders created on the store a second apart (each its own modification time), oldest first."""
    orders = []
    for _ in range(count):
        store.tick(1)
        orders.append(store.create_order())
    return orders


def test_a_webhook_and_a_poll_of_the_same_change_store_one_row(client, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    [order] = make_orders(system_store, 1)
    system_store.deliver_pending()  # delivered to the live receiver
    run_jobs()
    sync(client, connection_id, "orders")
    run_jobs()
    assert list(stored(client, connection_id, "orders")) == [order]


def test_a_poll_that_dies_half_way_is_resumed_without_a_gap(system, client, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    orders = make_orders(system_store, system.page_size * 2 + 50)
    first_page = orders[: system.page_size]
    system.fail_second_page(system_store, "orders", first_page, 404)
    run = sync(client, connection_id, "orders")
    run_jobs()
    failed = sync_run(client, connection_id, run["run_id"])
    assert failed["status"] == "failed"
    assert "404" in failed["error"]
    assert len(stored(client, connection_id, "orders")) == system.page_size  # page 1 was committed
    schedule = client.get(f"/api/connections/{connection_id}/schedules").json["items"][0]
    assert schedule["cursor"] == system.modified_at(system_store, "order", first_page[-1])
    run = sync(client, connection_id, "orders")
    run_jobs()
    assert sync_run(client, connection_id, run["run_id"])["status"] == "succeeded"
    assert set(stored(client, connection_id, "orders")) == set(orders)


def test_an_order_deleted_without_a_webhook_is_found_by_a_full_poll(client, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    orders = make_orders(system_store, 3)
    sync(client, connection_id, "orders")
    run_jobs()
    system_store.tick(60)
    system_store.delete_order(orders[1])  # its webhook never goes out
    sync(client, connection_id, "orders", full=True)
    run_jobs()
    rows = stored(client, connection_id, "orders")
    assert [rows[order]["deleted"] for order in orders] == [False, True, False]


def test_a_product_deleted_without_a_webhook_is_found_by_reconciliation(client, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    system_store.tick(1)
    keep = system_store.create_product()
    gone = system_store.create_product()
    sync(client, connection_id, "products", full=True)
    run_jobs()
    system_store.deliver_pending()
    # The product's rows: itself, and its variants where the system stores a product's price on one (Shopify).
    rows = {key for key, row in stored(client, connection_id, "products").items() if gone in (key, row["parent_external_id"])}
    assert gone in rows
    system_store.tick(60)
    system_store.delete_product(gone)  # its webhook never goes out
    run = sync(client, connection_id, "products", full=True)
    run_jobs()
    assert sync_run(client, connection_id, run["run_id"])["deleted"] == len(rows)
    products = stored(client, connection_id, "products")
    assert all(products[key]["deleted"] is True for key in rows)
    assert products[keep]["deleted"] is False


def test_a_broken_webhook_is_healed_by_the_next_poll_and_delivers_again(system, client, system_store, connect_system, run_jobs):
    connection_id = connect_system()
    registered = system_store.webhook_count()
    system_store.break_webhook("order.updated")  # as the store does after repeated failures
    assert system_store.webhook_count() == registered - 1
    assert client.get(f"/api/connections/{connection_id}/status").json["webhooks_ok"] is False
    sync(client, connection_id, "orders")
    run_jobs()
    assert system_store.webhook_count() == registered
    status = client.get(f"/api/connections/{connection_id}/status").json
    assert status["webhooks_ok"] is True
    assert not any(hook["needs_repair"] for hook in status["webhooks"])
    [order] = make_orders(system_store, 1)
    system_store.deliver_pending()
    run_jobs()
    system_store.tick(1)
    system_store.change_order(order)
    sent = system_store.deliver_pending()
    assert sent and all(result.success for result in sent)
    run_jobs()
    assert stored(client, connection_id, "orders")[order]["modified_at"] == system.modified_at(system_store, "order", order)

