"""Per-app resources (settings, database session, Redis, credential vault, wrong-token counts) for request handlers.

The admin API, the console and the app's own routes (health, metrics) all take them from here.
"""

from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app, g, request
from redis import Redis
from sqlalchemy.orm import Session

from api.attempts import FailedAttempts
from config import Settings
from connections.credentials import Vault
from connections.service import ConnectionService
from db.session import get_sessionmaker
from jobs.buffer import EventBuffer
from jobs.queues import WEB_REDIS_TIMEOUT_SECONDS, enqueue_registration, redis_for

EXTENSION = "storelink"
# Pages that ask a store something while an operator waits give up after this long.
QUICK_STORE_TIMEOUT_SECONDS = 5.0
# Requests that only read (RFC 9110's safe methods); every other one may write.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Resources:
    """What every request may need, built once per app."""

    settings: Settings
    vault: Vault
    buffer: EventBuffer | None = None
    failed_attempts: FailedAttempts | None = None


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the resources to `app` and close each request's session when it ends."""
    app.extensions[EXTENSION] = Resources(settings=settings, vault=Vault(settings.secret_key))
    app.teardown_appcontext(_close_session)


def get_settings() -> Settings:
    """The app's settings."""
    return current_app.extensions[EXTENSION].settings


def get_vault() -> Vault:
    """The app's credential vault."""
    return get_vault_of(current_app)


def get_vault_of(app: Flask) -> Vault:
    """`app`'s credential vault, outside a request."""
    return app.extensions[EXTENSION].vault


def get_session() -> Session:
    """The request's database session, opened on first use.

    On SQLite, a request that may write (POST, PATCH, DELETE...) begins its transactions
    IMMEDIATE, as jobs do: a transaction that reads and then writes would otherwise fail at
    once ("database is locked": SQLite waits for no one when a worker commits between the
    read and the write). Reading requests begin DEFERRED, never waiting behind a writer.
    """
    if "db_session" not in g:
        reads_only = request.method in READING_METHODS
        g.db_session = get_sessionmaker(get_settings().database_url, deferred=reads_only)()
    return g.db_session


def connection_service(*, quick: bool = False) -> ConnectionService:
    """The connection use cases for this request; `quick` caps how long a store may take (pages an operator waits on)."""
    settings = get_settings()
    if quick:
        timeout = min(settings.store_timeout_seconds, QUICK_STORE_TIMEOUT_SECONDS)
        settings = settings.with_overrides({"store_timeout_seconds": timeout})
    redis = get_redis()
    return ConnectionService(
        settings, get_session(), get_vault(), redis, queue_registration=partial(enqueue_registration, redis)
    )


def get_redis() -> Redis:
    """The process's Redis client."""
    return redis_for(get_settings(), timeout=WEB_REDIS_TIMEOUT_SECONDS)


def get_buffer() -> EventBuffer:
    """The event buffer on the process's Redis (its scripts registered once)."""
    resources = current_app.extensions[EXTENSION]
    if resources.buffer is None:
        resources.buffer = EventBuffer(get_redis())
    return resources.buffer


def get_failed_attempts() -> FailedAttempts:
    """The count of wrong admin tokens per client address, on the process's Redis."""
    resources = current_app.extensions[EXTENSION]
    if resources.failed_attempts is None:
        resources.failed_attempts = FailedAttempts(get_redis(), get_settings().redis_url)
    return resources.failed_attempts


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
