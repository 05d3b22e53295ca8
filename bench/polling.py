"""Polling: importing a store's orders beside merely fetching the same pages, and the poll's memory.

The store emulator runs in a process of its own (bench.store_process), with the orders
modified a second apart. For the smaller count, in each of two rounds, a bare client walks
the pages (WooCommerceClient + iter_changed, results discarded), then the poll job itself
(`jobs.polls.run_sync`, a first poll: everything since the connection's order start) runs in
a fresh process on a fresh SQLite database; both report their time and their own peak RSS
(VmHWM). Rates are over both rounds, so a passing disturbance of the machine weighs on both
sides. The larger count runs the poll only, for its memory.
"""

import json
import secrets
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench import services
from bench.report import figure, note, ratio
from config import get_settings
from connections.webhooks import delivery_url
from db.models import RUN_QUEUED, Connection, SyncRun
from db.session import transaction
from tests.factories import make_connection

STORE_START_TIMEOUT_SECONDS = 600
# Bare walk and poll alternate this many times at the smaller count.
ROUNDS = 2
POLL_TIMEOUT_SECONDS = 1800


@contextmanager
def emulator_process(module: str, label: str, orders: int, start: datetime, logs: Path, env: dict[str, str]):
    """`python -m MODULE ORDERS START` (an emulator serving `orders` orders) in its own process;
    answer (process, the facts it printed as its first line: its address and credentials)."""
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{label}-{orders}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(orders), start.isoformat()],
            cwd=services.ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
            start_new_session=True,
        )
        try:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the {label} emulator with {orders} orders did not start (see {log.name})")
            yield process, json.loads(line)
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


@contextmanager
def store_process(orders: int, start: datetime, logs: Path, env: dict[str, str]):
    """The WooCommerce emulator with `orders` orders in its own process; answer (process, base_url, key, secret)."""
    with emulator_process("bench.store_process", "store", orders, start, logs, env) as (process, store):
        yield process, store["base_url"], store["key"], store["secret"]


def run_once(env: dict[str, str], logs: Path, name: str, *args: str, module: str = "bench.poll_once") -> dict:
    """`python -m MODULE ARGS` (bench.poll_once's interface) in a fresh process; answer its JSON result."""
    with open(logs / f"{name}.log", "ab") as log:
        result = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=services.ROOT, env=env, stdout=subprocess.PIPE,
            stderr=log, text=True, timeout=POLL_TIMEOUT_SECONDS, check=False,
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{name} failed ({result.returncode}); see {logs / f'{name}.log'}")
    return json.loads(lines[-1][len("RESULT "):])


def prepare(workdir: Path, redis_url: str, name: str, base_url: str, key: str, secret: str, order_start: datetime, process) -> tuple[dict, str]:
    """A fresh database with the store's connection, its webhooks on the store, and a queued run."""
    database_url = services.sqlite_database(workdir / "db", name)
    env = services.environment(redis_url, database_url)
    with services.settings_from(env):
        public_id = make_connection(api_url=base_url, access_token=key, secret=secret, order_start=order_start)
        process.stdin.write(f"webhooks {delivery_url(get_settings().public_url, 'woocommerce', public_id)} {secret}\n")
        process.stdin.flush()
        if process.stdout.readline().strip() != "ok":
            raise RuntimeError("the store emulator did not register the webhooks")
        run_id = secrets.token_urlsafe(12)
        with transaction(database_url) as session:
            connection = session.scalar(select(Connection).where(Connection.public_id == public_id))
            session.add(SyncRun(public_id=run_id, connection_id=connection.id, entity="orders", full=False, trigger="bench", status=RUN_QUEUED))
    return env, run_id


def measure(workdir: Path, redis_url: str, orders: int, *, rounds: int) -> tuple[list[dict], list[dict]]:
    """Poll a store of `orders` orders `rounds` times, each on a fresh database after a bare walk (none if 0 rounds: poll once)."""
    logs = workdir / "logs" / "polling"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=orders + 3600)
    order_start = start - timedelta(days=1)
    polls, walks = [], []
    with store_process(orders, start, logs, services.environment(redis_url, "sqlite://")) as (process, base_url, key, secret):
        for number in range(max(rounds, 1)):
            name = f"{orders}-{number}"
            env, run_id = prepare(workdir, redis_url, f"polling-{name}", base_url, key, secret, order_start, process)
            if rounds:
                walks.append(run_once(env, logs, f"bare-{name}", "bare", base_url, key, secret, order_start.isoformat()))
            polls.append(run_once(env, logs, f"poll-{name}", "poll", run_id))
    for polled in polls:
        if polled.get("status") != "succeeded" or polled.get("records") != orders:
            note(f"polling {orders}: the poll answered {polled}")
    return polls, walks


def rate(results: list[dict]) -> float:
    """Records per second over all of `results`."""
    return sum(result["records"] for result in results) / sum(result["seconds"] for result in results)


def run(workdir: Path, redis_server: services.RedisServer, *, quick: bool) -> tuple[float, float]:
    """The polling section; answer (import rate over bare fetch rate, peak RSS large over small)."""
    small, large = (2_000, 20_000) if quick else (10_000, 100_000)
    if quick:
        note(f"polling counts {small}/{large} (quick mode); the lines keep the 10k/100k names")
    note("polling: the store emulator in its own process; the poll and the bare walk each in a fresh process; SQLite")
    polls, walks = measure(workdir, redis_server.url, small, rounds=ROUNDS)
    bare_rate, poll_rate = rate(walks), rate(polls)
    figure("polling_bare_fetch", bare_rate, "orders/s")
    figure("polling_import", poll_rate, "orders/s")
    figure("polling_import_fetch_share", sum(p["fetch_seconds"] for p in polls) / sum(p["seconds"] for p in polls), "of the poll's time")
    peak_small = max(polled["peak_rss_kb"] for polled in polls)
    figure("polling_peak_rss_10k", peak_small / 1024, "MB")
    walk_seconds = ", ".join(f"{walk['seconds']:.2f}" for walk in walks)
    poll_seconds = ", ".join(f"{polled['seconds']:.2f}" for polled in polls)
    note(f"polling {small}, {ROUNDS} rounds: {walks[0]['pages_done']} pages fetched bare in {walk_seconds} s, "
         f"polled ({polls[0]['pages_done']} pages, {polls[0]['records']} records) in {poll_seconds} s")
    (polled_large,), _ = measure(workdir, redis_server.url, large, rounds=0)
    figure("polling_peak_rss_100k", polled_large["peak_rss_kb"] / 1024, "MB")
    figure("polling_import_100k", polled_large["records"] / polled_large["seconds"], "orders/s")
    figure("polling_import_100k_fetch_share", polled_large["fetch_seconds"] / polled_large["seconds"], "of the poll's time")
    return ratio(poll_rate, bare_rate), ratio(polled_large["peak_rss_kb"], peak_small)
