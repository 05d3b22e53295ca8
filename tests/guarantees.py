"""Helpers for the fault tests: signed deliveries, database locks, and the figures each scenario reports."""

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.session import get_engine
from stores.registry import DEFAULT_SYSTEM
from tests.systems import SystemKit, kit_for


def order_body(order_id: int, version: int, *, secret: str | None = None, kit: SystemKit | None = None) -> tuple[bytes, dict]:
    """An order.updated body for `order_id` at `version` (later versions are newer), and its headers.

    Of the system of `kit` (the default system's when None), signed with `secret` (the kit's when None).
    """
    kit = kit or kit_for(DEFAULT_SYSTEM)
    body = kit.order_body(order_id, version)
    return body, kit.headers("order.updated", body, secret=secret)


def send(session: requests.Session, url: str, connection_id: str, body: bytes, headers: dict, *, kit: SystemKit | None = None) -> int:
    """POST one delivery to the receiver of `kit`'s system; answer the status (0 when the connection failed)."""
    path = (kit or kit_for(DEFAULT_SYSTEM)).path(connection_id)
    try:
        return session.post(f"{url}{path}", data=body, headers=headers, timeout=30).status_code
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
    # Writes that replaced a stored order with an older version (`recording_older_writes`).
    older_applied: int

    def report(self) -> str:
        line = (
            f"figures {self.scenario}: sent={self.sent} acknowledged={self.acknowledged} "
            f"stored={self.stored} lost={self.lost} older_applied={self.older_applied}"
        )
        print(line)
        return line


def stored_orders(database_url: str) -> dict[str, str]:
    """external id → total of every stored order."""
    with get_engine(database_url).connect() as connection:
        rows = connection.execute(text("SELECT external_id, total FROM orders")).all()
    return dict(rows)


# Where the trigger of `recording_older_writes` writes down what it saw.
OLDER_WRITES = "test_older_writes"
_RECORD_OLDER_WRITES = {
    "sqlite": [
        f"CREATE TABLE {OLDER_WRITES} (external_id TEXT, stored TIMESTAMP, written TIMESTAMP)",
        f"""CREATE TRIGGER {OLDER_WRITES} AFTER UPDATE ON orders WHEN NEW.modified_at < OLD.modified_at
            BEGIN INSERT INTO {OLDER_WRITES} VALUES (NEW.external_id, OLD.modified_at, NEW.modified_at); END""",
    ],
    "postgresql": [
        f"CREATE TABLE {OLDER_WRITES} (external_id TEXT, stored TIMESTAMP, written TIMESTAMP)",
        f"""CREATE FUNCTION {OLDER_WRITES}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO {OLDER_WRITES} VALUES (NEW.external_id, OLD.modified_at, NEW.modified_at); RETURN NULL; END $$""",
        f"""CREATE TRIGGER {OLDER_WRITES} AFTER UPDATE ON orders FOR EACH ROW
            WHEN (NEW.modified_at < OLD.modified_at) EXECUTE FUNCTION {OLDER_WRITES}()""",
    ],
}
_FORGET_OLDER_WRITES = {
    "sqlite": [f"DROP TRIGGER {OLDER_WRITES}", f"DROP TABLE {OLDER_WRITES}"],
    "postgresql": [f"DROP TRIGGER {OLDER_WRITES} ON orders", f"DROP FUNCTION {OLDER_WRITES}()", f"DROP TABLE {OLDER_WRITES}"],
}


@contextlib.contextmanager
def recording_older_writes(database_url: str) -> Iterator[None]:
    """Have the database write down every write, by any process, that replaced a stored order with an older version.

    A trigger, so it sees what the upserts did, not what they left: an older version written
    and then overwritten by a newer one again is counted too.
    """
    engine = get_engine(database_url)
    with engine.begin() as connection:
        for statement in _RECORD_OLDER_WRITES[engine.dialect.name]:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in _FORGET_OLDER_WRITES[engine.dialect.name]:
                connection.execute(text(statement))


def older_writes(database_url: str) -> int:
    """How many writes replaced a stored order with an older version since `recording_older_writes` began."""
    with get_engine(database_url).connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {OLDER_WRITES}")).scalar_one()


def figures(scenario: str, database_url: str, sent: int, acknowledged_ids: set[str], acknowledged: int) -> Figures:
    """Count what the database holds against what was acknowledged (within `recording_older_writes`)."""
    stored = stored_orders(database_url)
    result = Figures(
        scenario=scenario,
        sent=sent,
        acknowledged=acknowledged,
        stored=len(stored),
        lost=len(acknowledged_ids - set(stored)),
        older_applied=older_writes(database_url),
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
