"""Scheduled polls on their own: a cursor per walk, and schedules as the HTTP contract shows and takes them."""

import pytest

from tests.test_polling import START, make_orders, stored, sync, sync_run
from tests.woo_emulator import ManualClock, WooEmulator


@pytest.fixture
def store():
    """An emulator whose clock the test moves (as in test_polling)."""
    with WooEmulator(clock=ManualClock(START)) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


def schedules(client, connection_id: str) -> dict:
    return {item["entity"]: item for item in client.get(f"/api/connections/{connection_id}/schedules").json["items"]}


def test_a_poll_failing_in_its_trash_walk_leaves_its_trashed_orders_to_the_next(client, store, connect, run_jobs):
    connection = connect()
    orders = make_orders(store, 3)
    store.clock.advance(60)
    store.trash_order(orders[2]["id"])  # so the trash walk has a cursor of its own
    sync(client, connection["id"], "orders")
    run_jobs()
    trash_cursor = schedules(client, connection["id"])["orders"]["trash_cursor"]
    assert trash_cursor is not None
    store.clock.advance(60)
    store.trash_order(orders[0]["id"])  # its webhook is lost
    store.clock.advance(600)
    store.update_order(orders[1]["id"], status="completed")  # the first walk gets well past the trashing
    store.fail_next("status=trash", 404)
    failed = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], failed["run_id"])["status"] == "failed"
    rows = stored(client, connection["id"], "orders")
    assert (rows[str(orders[1]["id"])]["status"], rows[str(orders[0]["id"])]["deleted"]) == ("completed", False)
    schedule = schedules(client, connection["id"])["orders"]
    assert schedule["cursor"] > schedule["trash_cursor"] == trash_cursor
    run = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    assert stored(client, connection["id"], "orders")[str(orders[0]["id"])]["deleted"] is True


def test_a_connection_carries_its_schedules(client, connect):
    created = connect()
    connection = client.get(f"/api/connections/{created['id']}").json
    assert [(s["entity"], s["interval_minutes"], s["active"]) for s in connection["schedules"]] == [
        ("orders", 60, True),
        ("products", 1440, True),
    ]
    assert connection["schedules"] == created["schedules"] == list(schedules(client, created["id"]).values())


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({"interval_minutes": 1}, 200, None),  # the clock's tick
        ({"interval_minutes": 4}, 200, None),
        ({"interval_minutes": 10080}, 200, None),
        ({"interval_minutes": 0}, 422, {"interval_minutes": ["Must be greater than or equal to 1 and less than or equal to 10080."]}),
        ({"interval_minutes": 10081}, 422, {"interval_minutes": ["Must be greater than or equal to 1 and less than or equal to 10080."]}),
    ],
)
def test_schedules_take_any_whole_number_of_minutes_from_the_clocks_tick_to_a_week(client, connect, body, status, errors):
    connection = connect()
    response = client.put(f"/api/connections/{connection['id']}/schedules/orders", json={**body, "active": True})
    assert response.status_code == status, response.json
    if errors:
        assert response.json["errors"] == errors
    else:
        assert response.json["interval_minutes"] == body["interval_minutes"]
