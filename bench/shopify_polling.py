"""Polling Shopify: a first poll of a shop's orders beside a bare GraphQL walk of the same pages.

Informational, beside WooCommerce's polling figures (no target of its own). The Shopify
emulator runs in a process of its own (bench.shopify_store_process), never throttling, reached
as a real shop is: `*.myshopify.com` resolved to loopback in every process
(tests.resolver.subprocess_environment), its certificate trusted through STORE_CA_BUNDLE. In
each of two rounds a bare walk (`ShopifyClient` + `changed_pages`, records discarded) and then
the poll job (`jobs.polls.run_sync`, on a fresh SQLite database) run in fresh processes
(bench.shopify_poll_once); rates are over both rounds.
"""

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench import services
from bench.polling import ROUNDS, emulator_process, rate, run_once
from bench.report import figure, note, ratio
from config import get_settings
from connections.webhooks import delivery_url
from db.models import RUN_QUEUED, Connection, SyncRun
from db.session import transaction
from stores.shopify.tokens import ADMIN_TOKEN
from tests.factories import make_connection
from tests.resolver import subprocess_environment

MODULE = "bench.shopify_poll_once"


def resolving() -> dict[str, str]:
    """Variables that make a subprocess resolve `*.myshopify.com` to loopback, with the project importable."""
    variables = subprocess_environment()
    variables["PYTHONPATH"] = os.pathsep.join([variables["PYTHONPATH"], str(services.ROOT)])
    return variables


def prepare(workdir: Path, redis_url: str, name: str, shop: dict, order_start: datetime, process) -> tuple[dict, str]:
    """A fresh database with the shop's connection, its subscriptions on the shop, and a queued run."""
    database_url = services.sqlite_database(workdir / "db", name)
    env = services.environment(redis_url, database_url, STORE_CA_BUNDLE=shop["ca_file"], **resolving())
    with services.settings_from(env):
        public_id = make_connection(api_url=shop["base_url"], access_token=shop["token"], secret=shop["secret"],
                                    order_start=order_start, external_system="shopify")
        process.stdin.write(f"webhooks {delivery_url(get_settings().public_url, 'shopify', public_id)}\n")
        process.stdin.flush()
        if process.stdout.readline().strip() != "ok":
            raise RuntimeError("the Shopify emulator did not subscribe the webhooks")
        run_id = secrets.token_urlsafe(12)
        with transaction(database_url) as session:
            connection = session.scalar(select(Connection).where(Connection.public_id == public_id))
            connection.auth_mode = ADMIN_TOKEN
            session.add(SyncRun(public_id=run_id, connection_id=connection.id, entity="orders", full=False, trigger="bench", status=RUN_QUEUED))
    return env, run_id


def run(workdir: Path, redis_server: services.RedisServer, *, quick: bool) -> float:
    """The Shopify polling figures; answer the poll's rate over the bare walk's."""
    orders = 1_000 if quick else 10_000
    logs = workdir / "logs" / "polling-shopify"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=orders + 3600)
    order_start = start - timedelta(days=1)
    note(f"polling Shopify: {orders} orders, {ROUNDS} rounds, the emulator in its own process (never throttling), "
         "the poll and the bare GraphQL walk each in a fresh process; SQLite")
    polls, walks = [], []
    store_env = services.environment(redis_server.url, "sqlite://", **resolving())
    with emulator_process("bench.shopify_store_process", "shopify-store", orders, start, logs, store_env) as (process, shop):
        for number in range(ROUNDS):
            name = f"shopify-{orders}-{number}"
            env, run_id = prepare(workdir, redis_server.url, f"polling-{name}", shop, order_start, process)
            walks.append(run_once(env, logs, f"bare-{name}", "bare", shop["base_url"], shop["token"], shop["secret"],
                                  order_start.isoformat(), module=MODULE))
            polls.append(run_once(env, logs, f"poll-{name}", "poll", run_id, module=MODULE))
    for polled in polls:
        if polled.get("status") != "succeeded" or polled.get("records") != orders:
            note(f"polling Shopify {orders}: the poll answered {polled}")
    bare_rate, poll_rate = rate(walks), rate(polls)
    figure("polling_shopify_bare_fetch", bare_rate, "orders/s")
    figure("polling_shopify_import", poll_rate, "orders/s")
    figure("polling_shopify_import_fetch_share", sum(p["fetch_seconds"] for p in polls) / sum(p["seconds"] for p in polls), "of the poll's time")
    walk_seconds = ", ".join(f"{walk['seconds']:.2f}" for walk in walks)
    poll_seconds = ", ".join(f"{polled['seconds']:.2f}" for polled in polls)
    note(f"polling Shopify {orders}: {walks[0]['pages_done']} pages walked bare in {walk_seconds} s, polled in {poll_seconds} s")
    return figure("ratio polling_shopify_vs_bare_fetch", ratio(poll_rate, bare_rate))
