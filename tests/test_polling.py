"""Polling repairs what webhooks miss: schedules, incremental and full runs, store trouble, with WooCommerce.

The guarantees every system shares (resumable polls, reconciliation, webhook healing, a
webhook and a poll stored once) are tested for all systems in tests/test_system_polls.py.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from jobs import clock
from stores.woocommerce.paging import gmt
from tests.conftest import START


@pytest.fixture
def store(clocked_store):
    """An emulator whose clock the test moves, so modification times are known."""
    return clocked_store


def make_orders(store, count: int, *, step: float = 1.0) -> list[dict]:
    orders = []
    for _ in range(count):
        store.clock.advance(step)
        orders.append(store.create_order(billing={"email": "buyer@example.com"}, line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}]))
    return orders


def sync(client, connection_id: str, entity: str, full: bool = False) -> dict:
    response = client.post(f"/api/connections/{connection_id}/sync", json={"entity": entity, "full": full})
    assert response.status_code == 202, response.json
    return response.json


def sync_run(client, connection_id: str, run_id: str) -> dict:
    return client.get(f"/api/connections/{connection_id}/sync-runs/{run_id}").json


def stored(client, connection_id: str, entity: str) -> dict:
    page = client.get(f"/api/connections/{connection_id}/{entity}?per_page=100").json
    items = page["items"]
    number = 2
    while len(items) < page["total"]:
        items += client.get(f"/api/connections/{connection_id}/{entity}?per_page=100&page={number}").json["items"]
        number += 1
    return {item["external_id"]: item for item in items}


def test_first_orders_poll_imports_everything_since_order_start_with_progress(client, store, connect, run_jobs):
    store.create_order()  # created before order_start: never imported
    store.clock.advance(3600)
    connection = connect(order_start=gmt(START + timedelta(minutes=30)) + "Z")
    orders = make_orders(store, 250)
    run = sync(client, connection["id"], "orders")
    assert run["status"] == "queued"
    run_jobs()
    run = sync_run(client, connection["id"], run["run_id"])
    assert run["status"] == "succeeded", run
    assert run["records"] == 250
    assert run["pages_done"] == run["pages_total"] >= 3
    assert set(stored(client, connection["id"], "orders")) == {str(order["id"]) for order in orders}


def test_incremental_polls_ask_only_for_what_changed_since_the_cursor(client, store, connect, run_jobs):
    connection = connect()
    orders = make_orders(store, 5)
    sync(client, connection["id"], "orders")
    run_jobs()
    store.clock.advance(600)
    store.update_order(orders[0]["id"], status="completed")
    store.requests.clear()
    run = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["records"] == 1
    asked = [r for r in store.requests if r.path.endswith("/orders")]
    assert all("modified_after" in r.query for r in asked)
    assert all(r.query.get("dates_are_gmt") == "true" for r in asked)
    assert stored(client, connection["id"], "orders")[str(orders[0]["id"])]["status"] == "completed"


def test_busy_store_is_asked_again_honouring_retry_after(client, store, connect, run_jobs_and_resumptions):
    connection = connect()
    make_orders(store, 3)
    store.fail_next("/orders", 429, count=2, retry_after=1)
    run = sync(client, connection["id"], "orders")
    run_jobs_and_resumptions()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    assert len(stored(client, connection["id"], "orders")) == 3


def test_revoked_keys_mark_the_connection_as_needing_attention_and_pause_polling(client, store, connect, run_jobs):
    connection = connect()
    store.keys.revoke(store.key)
    run = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "failed"
    status = client.get(f"/api/connections/{connection['id']}/status").json
    assert "refused the API keys" in status["needs_attention"]
    assert clock.tick() == 0  # the clock leaves it alone until the keys change


def test_more_than_a_page_changed_in_one_second_is_paged_through(client, store, connect, run_jobs):
    connection = connect()
    store.clock.advance(1)
    orders = make_orders(store, 230, step=0)  # all in the same second
    run = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    assert len(stored(client, connection["id"], "orders")) == len(orders)


def test_trashed_orders_are_found_by_polling(client, store, connect, run_jobs):
    connection = connect()
    order = make_orders(store, 1)[0]
    sync(client, connection["id"], "orders")
    run_jobs()
    store.clock.advance(60)
    store.trash_order(order["id"])  # its webhook is lost
    sync(client, connection["id"], "orders")
    run_jobs()
    assert stored(client, connection["id"], "orders")[str(order["id"])]["deleted"] is True


def test_products_poll_stores_variations_with_their_parent(client, store, connect, run_jobs):
    connection = connect()
    store.clock.advance(1)
    jacket = store.create_variable_product(
        "Variable Jacket",
        {"Size": ["S", "L"]},
        [{"attributes": {"Size": "S"}, "regular_price": "40.00"}, {"attributes": {"Size": "L"}, "regular_price": "42.00"}],
    )
    mug = store.create_product(name="Mug", regular_price="8.99", sku="MUG")
    run = sync(client, connection["id"], "products")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    products = stored(client, connection["id"], "products")
    assert products[str(mug["id"])]["price"] == "8.99"
    variations = [p for p in products.values() if p["parent_external_id"] == str(jacket["id"])]
    assert len(variations) == 2
    assert all(v["name"].startswith("Variable Jacket - ") for v in variations)


def test_force_deleted_product_is_found_by_reconciliation(client, store, connect, run_jobs):
    connection = connect()
    store.clock.advance(1)
    keep = store.create_product(name="Keep", regular_price="1.00")
    gone = store.create_product(name="Gone", regular_price="2.00")
    sync(client, connection["id"], "products", full=True)
    run_jobs()
    store.run_cron()
    store.clock.advance(60)
    store.force_delete_product(gone["id"])
    assert store.pending_deliveries == []  # WooCommerce sends no webhook for a force delete
    run = sync(client, connection["id"], "products", full=True)
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["deleted"] == 1
    products = stored(client, connection["id"], "products")
    assert products[str(gone["id"])]["deleted"] is True
    assert products[str(keep["id"])]["deleted"] is False


def test_force_deleted_order_is_found_by_a_full_orders_poll(client, store, connect, run_jobs):
    connection = connect()
    orders = make_orders(store, 3)
    sync(client, connection["id"], "orders")
    run_jobs()
    store.force_delete_order(orders[1]["id"])
    sync(client, connection["id"], "orders", full=True)
    run_jobs()
    rows = stored(client, connection["id"], "orders")
    assert [rows[str(o["id"])]["deleted"] for o in orders] == [False, True, False]


def test_disabled_and_missing_webhooks_are_healed_on_the_next_poll(client, store, connect, run_jobs):
    connection = connect()
    hooks = {hook.topic: hook for hook in store.webhooks.items.values()}
    # Deliveries that fail 7 times in a row (here: signed with a secret we do not know)...
    hooks["order.updated"].secret = "cs_" + "f" * 40
    order = store.create_order()
    for _ in range(7):
        store.clock.advance(1)
        store.update_order(order["id"], customer_note=f"note {_}")
        store.run_cron()
    assert hooks["order.updated"].status == "disabled"  # ...make WooCommerce disable the webhook
    store.webhooks.items.pop(hooks["product.deleted"].id)  # and a store admin deleted another
    sync(client, connection["id"], "orders")
    run_jobs()
    now = {hook.topic: hook for hook in store.webhooks.items.values()}
    assert len(now) == 8
    assert now["order.updated"].id != hooks["order.updated"].id
    assert now["order.updated"].status == "active"
    assert now["product.deleted"].secret == store.secret
    assert now["order.created"].id == hooks["order.created"].id  # healthy ones untouched
    status = client.get(f"/api/connections/{connection['id']}/status").json
    assert {hook["store_status"] for hook in status["webhooks"]} == {"active"}


def test_a_paused_webhook_is_flagged_then_reactivated_in_place_by_the_next_poll(client, store, connect, run_jobs):
    connection = connect()
    paused = next(hook for hook in store.webhooks.items.values() if hook.topic == "order.updated")
    store.set_webhook_status(paused.id, "paused")  # an admin pauses it in wp-admin: WooCommerce delivers nothing
    status = client.get(f"/api/connections/{connection['id']}/status").json
    assert [hook["topic"] for hook in status["webhooks"] if hook["needs_repair"]] == ["order.updated"]
    assert status["webhooks_ok"] is False
    sync(client, connection["id"], "orders")
    run_jobs()
    assert store.webhook(paused.id).status == "active"  # the same webhook, re-activated in place
    assert len(store.webhooks.items) == 8
    status = client.get(f"/api/connections/{connection['id']}/status").json
    assert status["webhooks_ok"] is True
    assert not any(hook["needs_repair"] for hook in status["webhooks"])
    order = store.create_order()
    store.clock.advance(1)
    store.update_order(order["id"], customer_note="delivered again")
    assert [d.success for d in store.run_cron() if d.webhook_id == paused.id] == [True]


def test_concurrent_clocks_still_queue_one_poll_per_entity(client, connect):
    connect()
    with ThreadPoolExecutor(max_workers=4) as pool:
        started = list(pool.map(lambda _: clock.tick(), range(4)))
    assert sum(started) == 2


def test_the_clock_queues_one_poll_per_connection_and_entity_however_often_it_ticks(client, connect, redis_client, run_jobs):
    connection = connect()
    assert clock.tick() == 2  # orders and products are due at once
    assert clock.tick() == 0  # still queued: nothing more
    run_jobs()
    assert clock.tick() == 0  # next polls are an hour and a day away
    manual = sync(client, connection["id"], "orders")
    again = sync(client, connection["id"], "orders")
    assert (manual["created"], again["created"], again["run_id"]) == (True, False, manual["run_id"])


def test_schedules_can_be_changed_and_paused(client, connect):
    connection = connect()
    path = f"/api/connections/{connection['id']}/schedules/orders"
    response = client.put(path, json={"interval_minutes": 15, "active": False})
    assert response.status_code == 200
    assert (response.json["interval_minutes"], response.json["active"], response.json["next_poll_at"]) == (15, False, None)
    assert clock.tick() == 1  # only products
    assert client.put(path, json={"interval_minutes": 0, "active": True}).status_code == 422
    assert client.put(path, json={"interval_minutes": "15", "active": True}).status_code == 422
    assert client.put(path, json={"active": True}).json["errors"] == {"interval_minutes": ["Missing data for required field."]}
    assert client.put(f"/api/connections/{connection['id']}/schedules/coupons", json={"interval_minutes": 15, "active": True}).status_code == 404


def test_sync_input_is_validated(client, connect):
    connection = connect()
    response = client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "coupons"})
    assert response.status_code == 422
    assert "entity" in response.json["errors"]


def test_store_trouble_during_a_poll_skips_no_record(client, store, connect, run_jobs_and_resumptions):
    connection = connect()
    orders = make_orders(store, 250)
    store.fail_next("/orders", 503, count=2, retry_after=0)
    store.fail_next("/orders", 429, count=1, retry_after=1)
    store.delay_next("/orders", 6, count=1)  # longer than the store timeout (5 s in tests)
    run = sync(client, connection["id"], "orders")
    run_jobs_and_resumptions()
    result = sync_run(client, connection["id"], run["run_id"])
    rows = stored(client, connection["id"], "orders")
    print(f"figures poll-store-trouble: on_store={len(orders)} stored={len(rows)} skipped={len(orders) - len(rows)}")
    assert result["status"] == "succeeded", result
    assert set(rows) == {str(order["id"]) for order in orders}
