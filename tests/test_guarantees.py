"""Nothing acknowledged is lost: faults under real processes, each scenario ending with its figures.

Written once against a system's test kit (tests/systems.py): every scenario runs for each
registered system. Every scenario counts sent / acknowledged / stored / lost / older applied (writes that replaced
a stored order with an older version, as a database trigger saw them); lost and older applied
must be 0. Run with `-s` to see the figures lines.
"""

import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rq.registry import StartedJobRegistry
from sqlalchemy import true

from db import records
from jobs.buffer import PROCESSING_KEY, shard_of
from jobs.queues import EVENTS_QUEUE, queue
from tests.guarantees import figures, order_body, recording_older_writes, send, stored_orders, write_lock
from tests.services import wait_until

pytestmark = pytest.mark.e2e
FAST_RETRIES = {"EVENT_RETRY_SECONDS": "1,1,2,2,5"}


@pytest.fixture(autouse=True)
def older_writes_recorded(database_url):
    """Every scenario's writes are watched for older versions replacing newer ones."""
    with recording_older_writes(database_url):
        yield


def deliver_all(system, url: str, connection_id: str, deliveries: list[tuple[int, int]], threads: int = 1) -> tuple[int, set[str]]:
    """Send (order id, version) deliveries of `system`; answer how many were acknowledged and the ids acknowledged."""

    def one(item: tuple[int, int]) -> int:
        return send(session, url, connection_id, *order_body(*item, kit=system), kit=system)

    with requests.Session() as session, ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(one, deliveries))
    acknowledged = [item for item, status in zip(deliveries, statuses) if 200 <= status < 300]
    return len(acknowledged), {str(order_id) for order_id, _ in acknowledged}


def test_deliveries_while_redis_is_down_are_spooled_and_stored_when_it_returns(system, start_service, redis_server, database_url):
    connection_id = system.make_connection()
    service = start_service(workers=1, clock=True, extra=FAST_RETRIES)
    redis_server.stop()
    try:
        deliveries = [(order_id, 1) for order_id in range(1, 51)]
        acknowledged, ids = deliver_all(system, service.url, connection_id, deliveries)
    finally:
        redis_server.start()
    assert acknowledged == len(deliveries)  # spooled in the database, answered 202
    wait_until(lambda: len(stored_orders(database_url)) == 50, timeout=60, what="spooled deliveries stored")
    result = figures("redis-outage", database_url, len(deliveries), ids, acknowledged)
    assert (result.lost, result.older_applied) == (0, 0)


def test_a_batch_left_by_a_sigkilled_worker_is_stored_within_30_seconds(system, start_service, database_url, redis_client):
    connection_id = system.make_connection()
    # The clock's poll tick at its production default: taking up the batch must not wait for it.
    service = start_service(workers=1, clock=True, extra={**FAST_RETRIES, "CLOCK_TICK_SECONDS": "60"})
    lock = write_lock(database_url)
    lock.__enter__()
    try:
        acknowledged, ids = deliver_all(system, service.url, connection_id, [(7, 1)])
        processing = PROCESSING_KEY.format(shard=shard_of(connection_id))
        wait_until(lambda: redis_client.llen(processing) == 1, what="the batch claimed, its write waiting")
        service.processes.kill("worker0", signal.SIGKILL)  # the worker and its work horse
        killed = time.monotonic()
        service.processes.wait("worker0")
    finally:
        lock.__exit__(None, None, None)
    assert redis_client.llen(processing) == 1  # claimed, not stored
    service.processes.start("worker1", "-m", "jobs.worker")  # as the platform restarts a crashed process
    wait_until(lambda: stored_orders(database_url), timeout=30, what="the order stored by a new worker")
    recovered = time.monotonic() - killed
    result = figures("worker-sigkill", database_url, 1, ids, acknowledged)
    print(f"figures worker-sigkill: stored {recovered:.1f} s after the kill (promised: within 30 s)")
    assert (result.stored, result.lost, result.older_applied) == (1, 0, 0)
    assert recovered < 30


def test_a_worker_stopped_by_sigterm_mid_job_loses_nothing(system, start_service, database_url, redis_client):
    connection_id = system.make_connection()
    service = start_service(workers=1, extra=FAST_RETRIES)
    lock = write_lock(database_url)
    lock.__enter__()
    try:
        acknowledged, ids = deliver_all(system, service.url, connection_id, [(8, 1)])
        processing = PROCESSING_KEY.format(shard=shard_of(connection_id))
        wait_until(lambda: redis_client.llen(processing) == 1, what="the batch claimed, its write waiting")
        service.processes.kill("worker0", signal.SIGTERM)  # Heroku, on every deploy
        time.sleep(7)  # HerokuWorker interrupts the job after its shutdown delay
    finally:
        lock.__exit__(None, None, None)
    service.processes.wait("worker0")
    service.processes.start("worker1", "-m", "jobs.worker")
    wait_until(lambda: stored_orders(database_url), timeout=30, what="the order stored")
    time.sleep(2)  # a retry of a job that had committed must not add a row
    result = figures("worker-sigterm", database_url, 1, ids, acknowledged)
    assert (result.stored, result.lost, result.older_applied) == (1, 0, 0)


def test_jobs_wait_out_a_locked_database_and_finish(system, start_service, database_url):
    connection_id = system.make_connection()
    service = start_service(workers=1, extra=FAST_RETRIES)
    with write_lock(database_url):
        acknowledged, ids = deliver_all(system, service.url, connection_id, [(order_id, 1) for order_id in range(1, 21)])
        time.sleep(3)
    wait_until(lambda: len(stored_orders(database_url)) == 20, timeout=60, what="jobs finished after the lock")
    result = figures("database-locked", database_url, 20, ids, acknowledged)
    assert (result.lost, result.older_applied) == (0, 0)


def test_jobs_retry_while_postgresql_refuses_connections_and_finish_when_it_returns(system, start_service, database_url, redis_client):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite cannot be taken away from a running process; see the lock test")
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from db.session import get_engine

    connection_id = system.make_connection()
    service = start_service(workers=0, extra=FAST_RETRIES)
    acknowledged, ids = deliver_all(system, service.url, connection_id, [(order_id, 1) for order_id in range(1, 21)])
    name = make_url(database_url).database
    admin = get_engine(str(make_url(database_url).set(database="postgres")))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        service.processes.start("worker0", "-m", "jobs.worker")
        wait_until(lambda: queue(EVENTS_QUEUE, redis_client).scheduled_job_registry.count > 0, what="retries scheduled")
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()
    wait_until(lambda: len(stored_orders(database_url)) == 20, timeout=60, what="retried jobs stored")
    result = figures("database-unavailable", database_url, 20, ids, acknowledged)
    assert (result.lost, result.older_applied) == (0, 0)


@pytest.mark.slow
def test_a_burst_out_of_order_with_duplicates_ends_at_each_orders_newest_version(system, start_service, database_url, redis_client):
    connection_id = system.make_connection()
    service = start_service(workers=2, extra=FAST_RETRIES)
    orders, versions = 200, 20
    deliveries = [(order_id, version) for order_id in range(1, orders + 1) for version in range(1, versions + 1)]
    deliveries += random.Random(7).sample(deliveries, 1000)  # exact duplicates
    random.Random(42).shuffle(deliveries)  # out of order
    assert len(deliveries) == 5000
    acknowledged, ids = deliver_all(system, service.url, connection_id, deliveries, threads=16)
    events = queue(EVENTS_QUEUE, redis_client)
    started = StartedJobRegistry(EVENTS_QUEUE, connection=redis_client)
    wait_until(lambda: events.count == 0 and started.count == 0 and len(stored_orders(database_url)) == orders,
               timeout=240, interval=0.5, what="the burst processed")
    stored = stored_orders(database_url)
    assert set(stored.values()) == {system.total(versions)}  # every order at its newest version
    result = figures("burst-5000", database_url, len(deliveries), ids, acknowledged)
    assert (result.acknowledged, result.lost, result.older_applied) == (5000, 0, 0)


@pytest.mark.parametrize(("upsert", "applied"), [("as it is", 0), ("broken: any version replaces the stored one", 1)])
def test_older_applied_counts_each_write_of_an_older_version(system, app, anonymous, run_jobs, database_url, monkeypatch, upsert, applied):
    # The figure must be able to fail: with the upsert's newer-only guard gone, a late older
    # version overwrites the stored one, and the figure counts that write.
    if upsert.startswith("broken"):
        monkeypatch.setattr(records, "_newer_than_stored", lambda stored, modified_at, undelete: true())
    connection_id = system.make_connection()
    for version in (2, 1):  # the newer first; the older arrives late, in a batch of its own
        body, headers = order_body(5, version, kit=system)
        assert anonymous.post(system.path(connection_id), data=body, headers=headers).status_code == 202
        run_jobs()
    result = figures(f"late-older-version ({upsert})", database_url, 2, {"5"}, 2)
    assert (result.stored, result.lost, result.older_applied) == (1, 0, applied)
    assert stored_orders(database_url) == {"5": system.total(2 if applied == 0 else 1)}
