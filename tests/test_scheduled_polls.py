"""Scheduled polls on their own: full passes that find force-deleted records, a cursor per walk,
and schedules as the HTTP contract and the console show and take them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db.models import Schedule
from db.session import transaction
from jobs.scheduling import full_pass_due
from tests.services import wait_until
from tests.test_console import post, sign_in, text
from tests.test_polling import START, make_orders, stored, sync, sync_run
from tests.woo_emulator import ManualClock, WooEmulator

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def store():
    """An emulator whose clock the test moves (as in test_polling)."""
    with WooEmulator(clock=ManualClock(START)) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


@pytest.fixture
def console(app):
    """A browser-like client, signed in (as in test_console)."""
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    return browser


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


@pytest.mark.e2e
def test_a_force_deleted_order_is_found_by_scheduled_polls_alone(client, store, connect, start_service, live_server, database_url):
    connection = connect()
    orders = make_orders(store, 3)
    start_service(web=False, workers=1, clock=True, extra={"PUBLIC_URL": live_server.url})

    def first_polls_done():
        runs = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
        return {run["entity"]: run["status"] for run in runs if run["status"] in ("succeeded", "failed")}

    assert wait_until(lambda: len(first_polls_done()) == 2 and first_polls_done(), timeout=60, what="first polls") == {
        "orders": "succeeded", "products": "succeeded"
    }
    store.force_delete_order(orders[1]["id"])  # WooCommerce sends no webhook for it
    # A day on, as far as the schedule can tell: the last full pass a day ago, the hourly poll due.
    with transaction(database_url) as session:
        schedule = session.scalars(select(Schedule).where(Schedule.entity == "orders")).one()
        polled = schedule.last_poll_at
        schedule.last_full_at, schedule.last_poll_at, schedule.next_poll_at = polled - DAY, polled - HOUR, polled
    wait_until(
        lambda: stored(client, connection["id"], "orders")[str(orders[1]["id"])]["deleted"],
        timeout=60,
        what="the force-deleted order marked deleted by the clock's polls",
    )
    runs = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
    assert {run["trigger"] for run in runs} == {"schedule"}
    rows = stored(client, connection["id"], "orders")
    assert [rows[str(order["id"])]["deleted"] for order in orders] == [False, True, False]


@pytest.mark.parametrize(
    ("interval", "full_every", "last_full_ago", "full"),
    [
        (60, 1440, None, True),  # never had one
        (60, 1440, HOUR, False),
        (60, 1440, 22 * HOUR, False),
        (60, 1440, 23 * HOUR, True),  # the next poll would come a day after the last full pass
        (60, 1440, 3 * DAY, True),  # the last ones failed or the schedule was paused
        (1440, 1440, DAY, True),  # products: every daily poll is one
        (1440, 1440, DAY - timedelta(minutes=1), True),  # even when the last one started late
        (2880, 1440, 2 * DAY, True),  # polls further apart than full passes: every poll
        (1, 60, timedelta(minutes=58), False),
        (1, 60, timedelta(minutes=59), True),
    ],
)
def test_a_scheduled_poll_is_a_full_pass_when_the_next_would_come_too_late(interval, full_every, last_full_ago, full):
    schedule = Schedule(
        interval_minutes=interval, full_every_minutes=full_every, last_full_at=last_full_ago and NOW - last_full_ago
    )
    assert full_pass_due(schedule, NOW) is full


def test_a_connection_carries_its_schedules(client, connect):
    created = connect()
    connection = client.get(f"/api/connections/{created['id']}").json
    assert [(s["entity"], s["interval_minutes"], s["full_every_minutes"], s["active"]) for s in connection["schedules"]] == [
        ("orders", 60, 1440, True),
        ("products", 1440, 1440, True),
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
        ({"interval_minutes": 60, "full_every_minutes": 60}, 200, None),
        ({"interval_minutes": 60, "full_every_minutes": 10080}, 200, None),
        ({"interval_minutes": 60, "full_every_minutes": 59}, 422, {"full_every_minutes": ["Must be greater than or equal to 60 and less than or equal to 10080."]}),
        ({"interval_minutes": 60, "full_every_minutes": "120"}, 422, {"full_every_minutes": ["Not a valid integer."]}),
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
        assert response.json["full_every_minutes"] == body.get("full_every_minutes", 1440)


def test_a_schedule_keeps_its_full_passes_when_a_change_leaves_them_out(client, connect):
    connection = connect()
    path = f"/api/connections/{connection['id']}/schedules/orders"
    assert client.put(path, json={"interval_minutes": 30, "active": True, "full_every_minutes": 720}).json["full_every_minutes"] == 720
    assert client.put(path, json={"interval_minutes": 15, "active": True}).json["full_every_minutes"] == 720


def test_the_console_sets_full_passes_as_the_api_does(console, client, connect):
    connection = connect()
    path = f"/connections/{connection['id']}/schedules/orders"
    response = post(console, path, {"interval_minutes": "1", "active": "on", "full_every_minutes": "30"})
    assert response.status_code == 422
    assert 'id="full-every-orders-error"' in text(response)
    assert "greater than or equal to 60" in text(response)
    assert post(console, path, {"interval_minutes": "1", "active": "on", "full_every_minutes": "720"}).status_code == 302
    assert (schedules(client, connection["id"])["orders"]["interval_minutes"], schedules(client, connection["id"])["orders"]["full_every_minutes"]) == (1, 720)
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "Every minute" in page and "at least every 12 hours" in page
