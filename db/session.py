"""Engines and sessions: one engine per database URL per process, one transaction per unit of work."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from db import changes

# SQLite serialises writers; wait this long for the lock instead of failing at once.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option naming how SQLite transactions begin (IMMEDIATE or DEFERRED).
SQLITE_BEGIN = "storelink_sqlite_begin"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let the driver not open transactions on its own; SQLAlchemy emits BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers (jobs, web requests that may write): IMMEDIATE takes the write lock up
        # front, so two writers queue (busy timeout) instead of one failing when it upgrades
        # a read to a write after the other committed. Reading requests (and the receiver's
        # lookups) must never wait behind a writer: they begin DEFERRED.
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(SQLITE_BEGIN, 'IMMEDIATE')}")


_engines: dict[str, Engine] = {}
_sessionmakers: dict[tuple[str, bool], sessionmaker[Session]] = {}
_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """The process's engine for `url`, created on first use."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
        return engine


def _create_engine(url: str) -> Engine:
    # Parameters are a customer's data: errors (logged, and kept in RQ's failed registry) leave them out.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_sessionmaker(url: str, *, deferred: bool = False) -> sessionmaker[Session]:
    """A session factory bound to the engine for `url`; `deferred` for sessions that only read."""
    key = (url, deferred)
    factory = _sessionmakers.get(key)
    if factory is None:
        engine = get_engine(url)
        if deferred:
            engine = engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        factory = _sessionmakers[key] = sessionmaker(bind=engine, expire_on_commit=False)
        # Every commit that wrote orders or products numbers them in the change feed.
        event.listen(factory, "before_flush", changes.clear_positions_of_written_objects)
        event.listen(factory, "before_commit", changes.number_changes)
    return factory


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading(url: str) -> Iterator[Session]:
    """A session that only reads: on SQLite it waits behind no writer (DEFERRED); closed, never committed."""
    session = get_sessionmaker(url, deferred=True)()
    try:
        yield session
    finally:
        session.close()


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (after fork, and in tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _sessionmakers.clear()
