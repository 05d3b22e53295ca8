"""Per-app resources (settings, database session, Redis, credential vault) for request handlers."""

from dataclasses import dataclass

from flask import Flask, current_app, g
from redis import Redis
from sqlalchemy.orm import Session

from config import Settings
from connections.credentials import Vault
from db.session import get_sessionmaker
from jobs.buffer import EventBuffer
from jobs.queues import redis_connection

EXTENSION = "storelink"


@dataclass
class Resources:
    """What every request may need, built once per app."""

    settings: Settings
    vault: Vault
    buffer: EventBuffer | None = None


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the resources to `app` and close each request's session when it ends."""
    app.extensions[EXTENSION] = Resources(settings=settings, vault=Vault(settings.secret_key))
    app.teardown_appcontext(_close_session)


def get_settings() -> Settings:
    """The app's settings."""
    return current_app.extensions[EXTENSION].settings


def get_vault() -> Vault:
    """The app's credential vault."""
    return current_app.extensions[EXTENSION].vault


def get_session() -> Session:
    """The request's database session, opened on first use."""
    if "db_session" not in g:
        g.db_session = get_sessionmaker(get_settings().database_url, deferred=True)()
    return g.db_session


def get_redis() -> Redis:
    """The process's Redis client."""
    return redis_connection(get_settings().redis_url)


def get_buffer() -> EventBuffer:
    """The event buffer on the process's Redis (its scripts registered once)."""
    resources = current_app.extensions[EXTENSION]
    if resources.buffer is None:
        resources.buffer = EventBuffer(get_redis())
    return resources.buffer


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
