"""Storage: events stored per second by two Storelink workers, beside RQ's own no-op jobs.

Baseline: N no-op jobs (`bench.noop.noop`) emptied by two RQ `SimpleWorker` processes in burst
mode. Storelink: the event buffer filled as the receiver fills it (its envelopes and digests,
through PushConnection: 200 connections, several versions of each order, some arriving
late, some delivered twice), one drain job queued per shard, then two workers of the Procfile's
class in burst mode until the buffer is empty and every drain job has finished. Both kinds
of worker start, import and connect before the clock starts (see bench.burst_worker).
"""

import math
import random
import time
from datetime import timedelta
from pathlib import Path

from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from bench import services
from bench.burst_worker import NOOP_QUEUE
from bench.noop import NOOP
from bench.payloads import order_envelope, signed_order
from bench.report import figure, note, ratio, warn
from config import get_settings
from db.models import Order
from db.session import get_engine
from db.types import utcnow
from jobs.buffer import DUPLICATE, SHARDS, EventBuffer
from jobs.push import PushConnection
from jobs.queues import EVENTS_QUEUE, enqueue_drain, queue, redis_connection
from tests.factories import make_connection
from tests.services import wait_until
from webhooks.receiver import change_digest

WORKERS = 2
CONNECTIONS = 200
ENQUEUE_CHUNK = 1000
RUN_TIMEOUT_SECONDS = 600
# The stream the buffer is filled with, as if it had arrived at this rate.
ARRIVALS_PER_SECOND = 200
VERSION_GAP_SECONDS = (1.0, 30.0)


def run_workers(redis_server: services.RedisServer, env: dict[str, str], kind: str, logs: Path) -> tuple[float, str]:
    """Start two burst workers, let them go together; answer the seconds until both have exited, and their class."""
    go_key = f"bench:go:{kind}"
    client = redis_server.client()
    try:
        with services.processes(env, logs) as running:
            for number in range(WORKERS):
                running.start(f"{kind}-{number}", "-m", "bench.burst_worker", kind, go_key)
            wait_until(lambda: client.llen(f"{go_key}:ready") >= WORKERS, timeout=60, what=f"{kind} workers ready")
            classes = sorted({entry.decode().split()[1] for entry in client.lrange(f"{go_key}:ready", 0, -1)})
            started = time.perf_counter()
            client.rpush(go_key, *["go"] * WORKERS)
            for name in list(running.running):
                running.wait(name, timeout=RUN_TIMEOUT_SECONDS)
            return time.perf_counter() - started, ", ".join(classes)
    finally:
        client.close()


def baseline(workdir: Path, redis_server: services.RedisServer, jobs: int) -> float:
    """No-op jobs per second with two SimpleWorker processes."""
    redis_server.flush()
    client = redis_server.client()
    try:
        noop_queue = Queue(NOOP_QUEUE, connection=client)
        for start in range(0, jobs, ENQUEUE_CHUNK):
            count = min(ENQUEUE_CHUNK, jobs - start)
            noop_queue.enqueue_many([Queue.prepare_data(NOOP) for _ in range(count)])
        env = services.environment(redis_server.url, "sqlite://")
        seconds, worker_class = run_workers(redis_server, env, "rq-noop", workdir / "logs" / "storage-rq")
        left = noop_queue.count
        failed = FailedJobRegistry(queue=noop_queue).count
    finally:
        client.close()
    if left or failed:
        warn(f"storage baseline: {left} jobs left, {failed} failed")
    note(f"storage baseline: {jobs} no-op jobs in {seconds:.2f} s by two {worker_class}")
    return figure("storage_rq_noop", jobs / seconds, "jobs/s")


def make_events(connection_ids: list[str], orders_per_connection: int, seed: int = 5) -> tuple[list[tuple[str, bytes]], int]:
    """Deliveries in arrival order, and how many distinct orders they describe.

    The stream is laid out as if it arrived at ARRIVALS_PER_SECOND: each order gets 1 to 6
    versions, 1 to 30 seconds apart; one version in ten arrives after its successor, and one
    delivery in twenty is sent twice. The spacing is in seconds, not in shares of the run, so
    batches collapse versions alike whatever the run's size.
    """
    rng = random.Random(seed)
    span = len(connection_ids) * orders_per_connection * 3.5 / ARRIVALS_PER_SECOND
    timeline: list[tuple[float, str, bytes]] = []
    order_id = 1000
    for connection_id in connection_ids:
        for _ in range(orders_per_connection):
            order_id += 1
            moment = rng.uniform(0, span)
            times = []
            for _version in range(rng.randint(1, 6)):
                times.append(moment)
                moment += rng.uniform(*VERSION_GAP_SECONDS)
            if len(times) > 1 and rng.random() < 0.1:
                index = rng.randrange(len(times) - 1)
                times[index], times[index + 1] = times[index + 1], times[index]
            for version, moment in enumerate(times, start=1):
                body, _ = signed_order(order_id, version)
                timeline.append((moment, connection_id, body))
                if rng.random() < 0.05:
                    timeline.append((moment + rng.uniform(0, 5), connection_id, body))
    timeline.sort(key=lambda item: item[0])
    return [(connection_id, body) for _, connection_id, body in timeline], order_id - 1000


def fill_buffer(redis_url: str, events: list[tuple[str, bytes]]) -> int:
    """Push the deliveries as the receiver does and queue one drain per shard; answer how many were buffered."""
    redis = redis_connection(redis_url)
    buffer, pusher = EventBuffer(redis), PushConnection(redis)
    received = utcnow()
    buffered = 0
    for number, (connection_id, body) in enumerate(events):
        message = order_envelope(connection_id, body, received + timedelta(microseconds=number))
        buffered += pusher.push_many([(connection_id, change_digest("order", body), message)]) != [DUPLICATE]
    for shard in range(SHARDS):
        if buffer.waiting(shard):
            enqueue_drain(redis, shard, retry_seconds=get_settings().event_retry_seconds)
    return buffered


def storelink(workdir: Path, redis_server: services.RedisServer, database: str, database_url: str, orders_per_connection: int) -> float:
    """Buffered events stored per second by two Storelink workers on one database."""
    redis_server.flush()
    env = services.environment(redis_server.url, database_url)
    with services.settings_from(env):
        connection_ids = [make_connection() for _ in range(CONNECTIONS)]
        events, orders = make_events(connection_ids, orders_per_connection)
        buffered = fill_buffer(redis_server.url, events)
        seconds, worker_class = run_workers(redis_server, env, "storelink", workdir / "logs" / f"storage-{database}")
        redis = redis_connection(redis_server.url)
        left = sum(EventBuffer(redis).waiting(shard) for shard in range(SHARDS))
        failed = FailedJobRegistry(queue=queue(EVENTS_QUEUE, redis)).count
        queued = queue(EVENTS_QUEUE, redis).count
        with get_engine(database_url).connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(Order))
    note(
        f"storage {database}: {len(events)} deliveries, {buffered} buffered (the rest duplicates), "
        f"{orders} orders, {stored} stored, in {seconds:.2f} s by two `python -m jobs.worker` ({worker_class})"
    )
    if left or failed or queued or stored != orders:
        warn(f"storage {database}: {left} events left in the buffer, {queued} jobs queued, {failed} failed, {stored}/{orders} orders stored")
    return figure(f"storage_storelink_{database}", buffered / seconds, "events/s")


def run(workdir: Path, redis_server: services.RedisServer, *, quick: bool) -> float:
    """The storage section; answer the lower database's rate over the no-op baseline."""
    jobs, orders_per_connection = (4000, 10) if quick else (20000, 40)
    rq_rate = baseline(workdir, redis_server, jobs)
    rates = [storelink(workdir, redis_server, "sqlite", services.sqlite_database(workdir / "db", "storage"), orders_per_connection)]
    problem = services.postgres_reachable()
    if problem is None:
        with services.postgres_database() as url:
            rates.append(storelink(workdir, redis_server, "postgresql", url, orders_per_connection))
    else:
        warn(f"storage on PostgreSQL skipped: {services.POSTGRES_URL} unreachable ({problem}); the ratio uses SQLite")
    rates = [rate for rate in rates if not math.isnan(rate)]
    return ratio(min(rates) if rates else math.nan, rq_rate)
