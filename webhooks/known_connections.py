"""What the receiver knows of connections by public id: those recently read, and ids that matched none.

Every delivery names its connection in the URL. Reading the connection (its secrets, whether
it was deleted) for each one would cost the database two statements per delivery, so a
connection is trusted for a few seconds once read; an id that matched no connection is
remembered as long, so a flood of deliveries to it does not reach the database either.
"""

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from connections.credentials import Vault
from db.models import Connection
from db.session import get_sessionmaker
from db.types import utcnow

# How long the receiver trusts what it read of a connection: a deletion answers 410 at most
# this much later. A signature that does not match makes it read the connection again, so a
# new secret verifies at once (and the old one keeps verifying for a day).
CONNECTION_CACHE_SECONDS = 5.0
# How long an id that matched no connection is answered 404 without asking the database.
# Ids are random (16 bytes) and committed before anyone is told them (webhooks are registered
# after the commit), so an id asked for before its connection existed was guessed: no new
# connection can be hidden by this, and nothing needs to forget an id when one is created.
UNKNOWN_ID_SECONDS = 5.0
# At most this many unknown ids are remembered (about 1 MB); past it the oldest is forgotten.
MAX_UNKNOWN_IDS = 10_000


@dataclass(frozen=True)
class KnownConnection:
    """What the receiver needs of a connection, and when it was read."""

    system: str  # its `external_system`: deliveries must come to that system's path
    deleted: bool
    secrets: tuple[str, ...]
    read_at: float


class UnknownIds:
    """Ids that matched no connection lately: a bounded set whose members expire."""

    def __init__(self, seconds: float = UNKNOWN_ID_SECONDS, limit: int = MAX_UNKNOWN_IDS):
        self.seconds = seconds
        self.limit = limit
        self._until: dict[str, float] = {}  # insertion order is expiry order: every id lives as long
        self._lock = threading.Lock()

    def __contains__(self, connection_id: str) -> bool:
        until = self._until.get(connection_id)
        return until is not None and time.monotonic() < until

    def add(self, connection_id: str) -> None:
        """Remember `connection_id` as unknown; forget expired ids, and the oldest past the limit."""
        now = time.monotonic()
        with self._lock:
            self._until.pop(connection_id, None)
            while self._until:
                oldest, until = next(iter(self._until.items()))
                if until > now and len(self._until) < self.limit:
                    break
                del self._until[oldest]
            self._until[connection_id] = now + self.seconds

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


class ConnectionDirectory:
    """Connections by public id, read from the database at most every few seconds per id."""

    def __init__(self, database_url: str, vault: Vault):
        self.database_url = database_url
        self.vault = vault
        self.known: dict[str, KnownConnection] = {}
        self.unknown = UnknownIds()

    def get(self, connection_id: str, *, fresh: bool = False) -> KnownConnection | None:
        """The connection as recently read, or None; `fresh` reads it again whatever was cached."""
        now = time.monotonic()
        if not fresh:
            known = self.known.get(connection_id)
            if known is not None and now - known.read_at < CONNECTION_CACHE_SECONDS:
                return known
            if connection_id in self.unknown:
                return None
        row = _lookup(self.database_url, connection_id)
        if row is None:
            self.unknown.add(connection_id)
            return None
        known = self.known[connection_id] = KnownConnection(
            system=row.external_system,
            deleted=row.deleted_at is not None,
            secrets=() if row.deleted_at is not None else self._secrets(row),
            read_at=now,
        )
        return known

    def clear(self) -> None:
        """Forget everything read (the next delivery for each id reads the database)."""
        self.known.clear()
        self.unknown.clear()

    def _secrets(self, row) -> tuple[str, ...]:
        """The connection's secret, and the previous one during its grace period after a rotation."""
        secrets = [self.vault.decrypt(row.secret_encrypted)]
        if row.previous_secret_encrypted and row.previous_secret_until and row.previous_secret_until > utcnow():
            secrets.append(self.vault.decrypt(row.previous_secret_encrypted))
        return tuple(secrets)


def _lookup(database_url: str, connection_id: str):
    """The columns the receiver needs of a connection, or None."""
    # Closed at once: no connection (nor SQLite lock) is held during the slower work that follows.
    with get_sessionmaker(database_url, deferred=True)() as session:
        return session.execute(
            select(
                Connection.external_system,
                Connection.deleted_at,
                Connection.secret_encrypted,
                Connection.previous_secret_encrypted,
                Connection.previous_secret_until,
            ).where(Connection.public_id == connection_id)
        ).first()
