"""End to end: a steady 200 deliveries a second through the Procfile's processes, acknowledgement to readable.

gunicorn (web), two `python -m jobs.worker` and `python -m jobs.clock` run on SQLite as the
Procfile runs them. A paced sender posts distinct orders (each delivery a new order id) at a
fixed rate, open loop, and notes when each 202 arrives; a watcher reads the orders table
every 20 ms and notes when each order first becomes readable (committed). The figures are
the differences, then how much was still waiting when the last delivery was acknowledged
and how long it took to store it. A follower of the change feed (`bench.feed`) does the same
through `GET /api/changes`; once the run is over, the whole feed is read in pages of 1,000.
"""

import itertools
import math
import threading
import time
from pathlib import Path

import requests
from rq import Worker
from sqlalchemy import text

from bench import feed, services
from bench.payloads import signed_order
from bench.report import figure, note, percentile, warn
from connections.webhooks import RECEIVER_PATH
from db.session import SQLITE_BEGIN, get_engine
from jobs.buffer import SHARDS, EventBuffer
from jobs.queues import redis_connection
from tests.factories import make_connection
from tests.services import wait_until

RATE = 200
CONNECTIONS = 20
SENDERS = 16
WATCH_INTERVAL_SECONDS = 0.02
# Rows committed out of id order (PostgreSQL, concurrent batches) are still found within this window.
WATCH_ID_WINDOW = 2000
CATCH_UP_TIMEOUT_SECONDS = 120
FIRST_ORDER_ID = 5_000_000
# Deliveries sent first and not counted: workers of a running service are warm.
WARM_UP_SECONDS = 2


class Watcher(threading.Thread):
    """Notes when each order first becomes readable in the database."""

    def __init__(self, database_url: str):
        super().__init__(name="e2e-watcher", daemon=True)
        self.engine = get_engine(database_url).execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self.seen: dict[str, float] = {}
        self.stopping = threading.Event()
        self._highest = 0

    def poll(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, external_id FROM orders WHERE id > :low"), {"low": self._highest - WATCH_ID_WINDOW}
            ).all()
        now = time.time()
        for row_id, external_id in rows:
            self.seen.setdefault(external_id, now)
            self._highest = max(self._highest, row_id)

    def run(self) -> None:
        while not self.stopping.is_set():
            self.poll()
            self.stopping.wait(WATCH_INTERVAL_SECONDS)


def send_all(url: str, deliveries: list[tuple[str, str, bytes, dict]], rate: float) -> tuple[dict[str, float], int, float]:
    """Post every delivery at its scheduled time; answer acknowledgement times, failures, and the span."""
    acknowledged: dict[str, float] = {}
    failures = itertools.count()
    failed = [0]
    next_index = itertools.count()
    started = time.monotonic() + 0.2

    def sender() -> None:
        with requests.Session() as session:
            while True:
                index = next(next_index)
                if index >= len(deliveries):
                    return
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                order_id, connection_id, body, headers = deliveries[index]
                try:
                    response = session.post(url + RECEIVER_PATH.format(system="woocommerce", connection_id=connection_id), data=body, headers=headers, timeout=30)
                    ok = response.status_code == 202
                except requests.RequestException:
                    ok = False
                if ok:
                    acknowledged[order_id] = time.time()
                else:
                    failed[0] = next(failures) + 1

    threads = [threading.Thread(target=sender, name=f"e2e-sender-{number}") for number in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acknowledged, failed[0], time.monotonic() - started


def run(workdir: Path, redis_server: services.RedisServer, *, quick: bool) -> float:
    """The end-to-end section; answer the p99 in milliseconds."""
    seconds = 10 if quick else 60
    redis_server.flush()
    database_url = services.sqlite_database(workdir / "db", "e2e")
    env = services.environment(redis_server.url, database_url)
    with services.settings_from(env), services.processes(env, workdir / "logs" / "e2e") as running:
        connection_ids = [make_connection() for _ in range(CONNECTIONS)]
        deliveries = []
        for number in range(RATE * (WARM_UP_SECONDS + seconds)):
            order_id = FIRST_ORDER_ID + number
            body, headers = signed_order(order_id, 1)
            deliveries.append((str(order_id), connection_ids[number % CONNECTIONS], body, headers))
        warm_up, deliveries = deliveries[: RATE * WARM_UP_SECONDS], deliveries[RATE * WARM_UP_SECONDS :]
        url = services.start_web(running, env)
        for number in range(2):
            running.start(f"worker{number}", "-m", "jobs.worker")
        running.start("clock", "-m", "jobs.clock")
        redis = redis_connection(redis_server.url)
        wait_until(lambda: Worker.count(connection=redis) >= 2, timeout=60, what="two workers registered")
        note(f"e2e: {RATE}/s for {seconds} s after {WARM_UP_SECONDS} s not counted, {len(deliveries)} distinct orders over "
             f"{CONNECTIONS} connections; web + 2 workers + clock on SQLite; readability checked every "
             f"{WATCH_INTERVAL_SECONDS * 1000:.0f} ms")

        watcher = Watcher(database_url)
        watcher.start()
        follower = feed.FeedFollower(url, env["ADMIN_TOKEN"])
        follower.start()
        try:
            warmed, _, _ = send_all(url, warm_up, RATE)
            wait_until(lambda: all(order_id in watcher.seen for order_id in warmed), timeout=CATCH_UP_TIMEOUT_SECONDS,
                       interval=WATCH_INTERVAL_SECONDS, what="warm-up deliveries stored")
            acknowledged, failures, span = send_all(url, deliveries, RATE)
            last_ack = max(acknowledged.values(), default=time.time())
            buffer = EventBuffer(redis)
            waiting = sum(buffer.waiting(shard) for shard in range(SHARDS))
            unreadable_at_end = sum(1 for order_id in acknowledged if order_id not in watcher.seen)
            deadline = time.monotonic() + CATCH_UP_TIMEOUT_SECONDS
            while time.monotonic() < deadline and any(
                order_id not in watcher.seen or order_id not in follower.seen for order_id in acknowledged
            ):
                time.sleep(WATCH_INTERVAL_SECONDS)
        finally:
            watcher.stopping.set()
            follower.stopping.set()
            watcher.join(timeout=5)
            follower.join(timeout=35)
        watcher.poll()
        feed.report_delays(follower, acknowledged)
        feed.measure_read_rate(url, env["ADMIN_TOKEN"])

    latencies = [max(0.0, watcher.seen[order_id] - at) * 1000 for order_id, at in acknowledged.items() if order_id in watcher.seen]
    lost = len(acknowledged) - len(latencies)
    caught_up = max((watcher.seen[order_id] for order_id in acknowledged if order_id in watcher.seen), default=last_ack)
    figure("e2e_sent_rate", len(deliveries) / span, "deliveries/s")
    figure("e2e_acknowledged", len(acknowledged), "deliveries")
    figure("e2e_p50", percentile(latencies, 0.50), "ms")
    figure("e2e_p99", percentile(latencies, 0.99), "ms")
    figure("e2e_max", max(latencies, default=math.nan), "ms")
    figure("e2e_backlog_at_end", waiting, "events")
    figure("e2e_unreadable_at_end", unreadable_at_end, "orders")
    figure("e2e_catch_up", max(0.0, caught_up - last_ack) * 1000, "ms")
    if failures or lost:
        warn(f"e2e: {failures} deliveries not acknowledged, {lost} acknowledged but never readable within {CATCH_UP_TIMEOUT_SECONDS} s")
    return percentile(latencies, 0.99) if not lost else math.inf
