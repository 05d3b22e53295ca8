"""Which store a connection reaches: a fingerprint of its API URL and access token (consumer key).

Two active connections to one store with one key would each register webhooks, and every
event would arrive twice. The fingerprint is a unique column, so the database refuses the
second connection, however many creates race. It is a plain SHA-256, not keyed by
SECRET_KEY: it must not change when SECRET_KEY rotates, and the consumer key it hashes is
160 random bits (sent in clear in OAuth query strings anyway), so it reveals nothing usable.
"""

import hashlib
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Connection
from stores.registry import DEFAULT_SYSTEM, connector_for

# Changing what is hashed needs a new version (and a migration that re-fingerprints).
FINGERPRINT_VERSION = "storelink-store-key:v1"
DEFAULT_PORTS = {"http": 80, "https": 443}


class DuplicateStore(Exception):
    """Another active connection already reaches this store with this consumer key."""

    def __init__(self, existing: Connection):
        self.connection_id = existing.public_id
        self.message = (
            f"this store is already connected with this consumer key: connection {existing.public_id} "
            f"(“{existing.name}”); change or delete that one instead"
        )
        super().__init__(self.message)


def store_key_fingerprint(api_url: str, consumer_key: str, system: str = DEFAULT_SYSTEM) -> str:
    """The same for every spelling of one store's address (as its connector normalises it; scheme, case, default port) and one key."""
    parts = urlsplit(connector_for(system).normalize_api_url(api_url))
    port = parts.port
    address = parts.hostname or ""
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        address = f"{address}:{port}"
    canonical = "\n".join((FINGERPRINT_VERSION, address + parts.path, consumer_key.strip()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def connection_with_fingerprint(session: Session, fingerprint: str | None) -> Connection | None:
    """The active connection holding `fingerprint`, if any (deleted ones hold none)."""
    if fingerprint is None:
        return None
    return session.scalar(select(Connection).where(Connection.store_key_fingerprint == fingerprint))
