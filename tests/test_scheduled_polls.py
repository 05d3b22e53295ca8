"""Scheduled polls on their own: a cursor per walk."""

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
