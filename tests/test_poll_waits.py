"""A poll waiting for its store gives its worker back: deliveries are stored meanwhile, and the poll resumes."""

import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import requests
from rq.registry import FailedJobRegistry

from jobs import poll_waits
from jobs.failures import retry_failed_job
from jobs.queues import POLLS_QUEUE, SERIALIZER, queue
from stores.woocommerce.client import RetryPolicy
from stores.woocommerce.paging import gmt
from tests.factories import make_connection
from tests.guarantees import order_body, send, stored_orders
from tests.services import wait_until
from tests.test_polling import make_orders, stored, sync, sync_run


@pytest.fixture
def store(clocked_store):
    """An emulator whose clock the test moves, so modification times are known."""
    return clocked_store


def modified(order: dict) -> datetime:
    return datetime.fromisoformat(order["date_modified_gmt"] + "+00:00")


def test_a_poll_ends_its_job_while_the_store_is_busy_and_resumes_from_its_cursor(
    client, store, connect, redis_client, run_jobs, run_jobs_and_resumptions
):
    connection = connect()
    orders = make_orders(store, 250)
    second_page = urlencode({"modified_after": gmt(modified(orders[99]) - timedelta(seconds=1))})
    store.fail_next(second_page, 503, retry_after=2)
    run = sync(client, connection["id"], "orders")
    before = datetime.now(UTC)
    run_jobs()  # page 1 stored, then the store is busy: the job ends instead of sleeping
    waiting = sync_run(client, connection["id"], run["run_id"])
    assert (waiting["status"], waiting["pages_done"]) == ("running", 1)
    assert waiting["error"].startswith("store failing (the store answered 503")
    assert "; retry 1 of 5 in 2 s, at " in waiting["error"]
    scheduled = queue(POLLS_QUEUE, redis_client).scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    # After the store's Retry-After (2 s) from when the job ended, rounded up to RQ's whole second.
    assert before + timedelta(seconds=2) <= scheduled.get_scheduled_time(job_id) <= datetime.now(UTC) + timedelta(seconds=3)
    store.requests.clear()
    run_jobs_and_resumptions()
    done = sync_run(client, connection["id"], run["run_id"])
    assert (done["status"], done["error"]) == ("succeeded", None)
    assert set(stored(client, connection["id"], "orders")) == {str(order["id"]) for order in orders}
    first = next(r for r in store.requests if r.path.endswith("/orders"))
    # From the cursor page 1 left (less the poll's overlap), not from the start.
    assert first.query["modified_after"] == gmt(modified(orders[99]) - timedelta(minutes=1))


def test_a_poll_resumed_in_its_trash_walk_still_finds_orders_trashed_before_the_cursor(
    client, store, connect, run_jobs_and_resumptions
):
    connection = connect()
    [order] = make_orders(store, 1)
    sync(client, connection["id"], "orders")
    run_jobs_and_resumptions()
    store.clock.advance(60)
    store.trash_order(order["id"])  # its webhook is lost
    store.clock.advance(600)
    make_orders(store, 3)  # the first walk moves the cursor past the trashing
    store.fail_next("status=trash", 503, retry_after=0)
    run = sync(client, connection["id"], "orders")
    run_jobs_and_resumptions()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    assert stored(client, connection["id"], "orders")[str(order["id"])]["deleted"] is True


def test_a_refused_connection_is_waited_for_as_cannot_connect_then_fails_the_run(
    client, store, connect, redis_client, run_jobs, run_jobs_and_resumptions, monkeypatch, caplog
):
    connection = connect()
    port = store.port
    store.stop()  # nothing listens there now: connections are refused
    run = sync(client, connection["id"], "orders")
    with caplog.at_level(logging.INFO):
        run_jobs()
    waiting = sync_run(client, connection["id"], run["run_id"])
    assert waiting["status"] == "running"
    assert waiting["error"].startswith(f"store not answering (cannot connect to 127.0.0.1:{port}")
    assert "; retry 1 of 5 in 2 s, at " in waiting["error"]
    assert "Connection refused" in waiting["error"]
    assert not [record for record in caplog.records if "busy" in record.getMessage()]
    monkeypatch.setattr(poll_waits, "STORE_WAITS", RetryPolicy(attempts=2, base_delay=0.1))
    run_jobs_and_resumptions()
    failed = sync_run(client, connection["id"], run["run_id"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith(f"The store is not answering (cannot connect to 127.0.0.1:{port}")
    assert "What to do: Check that the store is online" in failed["error"]
    store.start(port)  # back: the operator retries the failed job, the last attempt's
    [job_id] = FailedJobRegistry(POLLS_QUEUE, connection=redis_client, serializer=SERIALIZER).get_job_ids()
    assert retry_failed_job(redis_client, connection["id"], job_id)
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"


def deliver_and_time(url: str, connection_id: str, order_id: int, database_url: str) -> float:
    """Send an order's delivery; answer the seconds until it is stored (at most 5)."""
    with requests.Session() as session:
        sent = time.monotonic()
        assert send(session, url, connection_id, *order_body(order_id, 1)) == 202
        wait_until(lambda: str(order_id) in stored_orders(database_url), timeout=5, what="the delivery stored")
        return time.monotonic() - sent


@pytest.mark.e2e
def test_with_one_worker_a_delivery_is_stored_at_once_while_a_poll_waits_for_a_dead_store(
    client, store, connect, database_url, start_service
):
    connection = connect()
    orders = make_orders(store, 3)
    port = store.port
    store.stop()
    other = make_connection()
    service = start_service(workers=1)
    alone = deliver_and_time(service.url, other, 6, database_url)  # the same worker with no poll at all
    run = sync(client, connection["id"], "orders")
    wait_until(lambda: sync_run(client, connection["id"], run["run_id"])["status"] == "running", what="the poll started")
    time.sleep(1)  # its first attempt is refused at once
    elapsed = deliver_and_time(service.url, other, 7, database_url)
    print(f"figures poll-waits: one worker, a poll waiting for a refused store: a delivery for another connection "
          f"stored {elapsed * 1000:.0f} ms after it was sent ({alone * 1000:.0f} ms with no poll)")
    waiting = sync_run(client, connection["id"], run["run_id"])
    assert waiting["status"] == "running" and "cannot connect" in waiting["error"]
    store.start(port)  # the store is back
    wait_until(lambda: sync_run(client, connection["id"], run["run_id"])["status"] != "running",
               timeout=60, what="the poll resumed and finished")
    assert sync_run(client, connection["id"], run["run_id"])["status"] == "succeeded"
    assert set(stored(client, connection["id"], "orders")) == {str(order["id"]) for order in orders}
