"""Helpers for the fault tests: signed deliveries, database locks, and the figures each scenario reports."""

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.session import get_engine
from tests.factories import FIXTURE_SECRET
from tests.fixtures import load_delivery
from webhooks.signature import sign

TEMPLATE = load_delivery("04")  # a real order.updated delivery


def order_body(order_id: int, version: int, *, secret: str = FIXTURE_SECRET) -> tuple[bytes, dict]:
    """An order.updated body for `order_id` at `version` (later versions are newer), and its headers."""
    payload = {
        **TEMPLATE.json(),
        "id": order_id,
        "number": str(order_id),
        "total": f"{version}.00",
        "customer_note": f"version {version}",
        "date_modified_gmt": f"2026-11-27T{10 + version // 3600:02d}:{version // 60 % 60:02d}:{version % 60:02d}",
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {key: value for key, value in TEMPLATE.headers.items() if key.startswith("X-WC-") or key == "Content-Type"}
    headers["X-WC-Webhook-Signature"] = sign(body, secret)
    return body, headers


def send(session: requests.Session, url: str, connection_id: str, body: bytes, headers: dict) -> int:
    """POST one delivery; answer the status (0 when the connection failed)."""
    try:
        return session.post(f"{url}/webhooks/woocommerce/{connection_id}", data=body, headers=headers, timeout=30).status_code
    except requests.ConnectionError:
        return 0


@dataclass
class Figures:
    """What a scenario sent, what was acknowledged, and what ended up stored."""

    scenario: str
    sent: int
    acknowledged: int
    stored: int
    lost: int
    duplicated: int

    def report(self) -> str:
        line = (
            f"figures {self.scenario}: sent={self.sent} acknowledged={self.acknowledged} "
            f"stored={self.stored} lost={self.lost} duplicated={self.duplicated}"
        )
        print(line)
        return line


def stored_orders(database_url: str) -> dict[str, tuple[int, str]]:
    """external id → (rows, total) of every stored order."""
    with get_engine(database_url).connect() as connection:
        rows = connection.execute(
            text("SELECT external_id, COUNT(*), MAX(total) FROM orders GROUP BY external_id")
        ).all()
    return {external_id: (count, total) for external_id, count, total in rows}


def figures(scenario: str, database_url: str, sent: int, acknowledged_ids: set[str], acknowledged: int) -> Figures:
    """Count what the database holds against what was acknowledged."""
    stored = stored_orders(database_url)
    result = Figures(
        scenario=scenario,
        sent=sent,
        acknowledged=acknowledged,
        stored=len(stored),
        lost=len(acknowledged_ids - set(stored)),
        duplicated=sum(count - 1 for count, _ in stored.values()),
    )
    result.report()
    return result


@contextlib.contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Hold the orders table (PostgreSQL) or the whole file (SQLite) so writers wait."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with get_engine(database_url).connect() as connection:
        connection.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()


def release_later(lock: contextlib.AbstractContextManager, seconds: float) -> threading.Thread:
    """Leave `lock` after `seconds` from a thread."""
    thread = threading.Thread(target=lambda: (threading.Event().wait(seconds), lock.__exit__(None, None, None)))
    thread.start()
    return thread
