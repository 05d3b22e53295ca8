"""What every command works with: the checked settings, a database session, Redis, the connection use cases."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from redis import Redis

from config import ConfigError, Settings, get_settings
from config.logging import configure_logging
from connections.credentials import Vault
from connections.service import ConnectionNotFound, ConnectionService
from db.session import transaction
from jobs.queues import redis_for


def checked_settings() -> Settings:
    """The settings, or exit 1 naming every problem (as the processes would refuse them)."""
    configure_logging("WARNING")  # the commands speak for themselves; libraries only warn
    try:
        return get_settings()
    except ConfigError as error:
        for problem in error.problems:
            click.echo(f"Configuration problem: {problem}", err=True)
        click.echo("Nothing done (storelink check shows the whole configuration).", err=True)
        sys.exit(1)


def redis() -> Redis:
    """The Redis the worker uses."""
    return redis_for(checked_settings())


@contextmanager
def service() -> Iterator[ConnectionService]:
    """The connection use cases in one transaction, committed at the end."""
    settings = checked_settings()
    with transaction(settings.database_url) as session:
        yield ConnectionService(settings, session, Vault(settings.secret_key), redis_for(settings))


def connection_or_exit(use_cases: ConnectionService, connection_id: str):
    """The active connection with that id, or exit 1 saying there is none."""
    try:
        return use_cases.get(connection_id)
    except ConnectionNotFound:
        fail(f"No active connection {connection_id!r} (storelink connections list shows them).")


def fail(message: str) -> None:
    """Say what went wrong on stderr and exit 1."""
    click.echo(message, err=True)
    sys.exit(1)


def when(moment: datetime | None) -> str:
    """A time as an operator reads it: UTC to the second, or "never"."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


