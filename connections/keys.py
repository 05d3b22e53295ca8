"""Stored credentials against SECRET_KEY: the check every process makes before it starts, and re-encryption with the newest key."""

import logging
from collections.abc import Iterator

from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from config import ConfigError, Settings, get_settings
from connections.credentials import CredentialError, Vault
from db.models import Connection

log = logging.getLogger(__name__)

# The columns that hold a credential encrypted with SECRET_KEY ("" or None when there is none).
ENCRYPTED_COLUMNS = ("access_token_encrypted", "secret_encrypted", "previous_secret_encrypted", "notify_secret_encrypted")
REMEDY = (
    "set SECRET_KEY to the key that encrypted them (bin/dev keeps it in var/secret_key); to change keys, "
    "list the old one after the new (SECRET_KEY=new,old) and run `storelink reencrypt`"
)


class KeyMismatch(ConfigError):
    """Stored credentials do not decrypt with any of the keys in SECRET_KEY."""

    def __init__(self, connections: int):
        noun = "connection" if connections == 1 else "connections"
        super().__init__(f"the stored credentials of {connections} {noun} do not decrypt with SECRET_KEY: {REMEDY}")


def _credentials(connection: Connection) -> Iterator[tuple[str, str]]:
    """(column, encrypted value) of every credential the connection holds."""
    for column in ENCRYPTED_COLUMNS:
        token = getattr(connection, column)
        if token:
            yield column, token


def undecryptable(session: Session, vault: Vault) -> int:
    """How many connections hold a credential that decrypts with none of the vault's keys."""
    count = 0
    for connection in session.scalars(select(Connection)):
        try:
            for _, token in _credentials(connection):
                vault.decrypt(token)
        except CredentialError:
            count += 1
    return count


def check_stored_credentials(settings: Settings) -> None:
    """Raise KeyMismatch when stored credentials do not decrypt with SECRET_KEY.

    A database that does not answer (or holds no tables yet) is let pass with a warning: the
    processes start without it and wait for it, as they always have. The check opens and
    closes a connection of its own, so a process that forks afterwards (gunicorn) shares none.
    """
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            mismatched = undecryptable(session, Vault(settings.secret_key))
    except SQLAlchemyError as error:
        log.warning("stored credentials not checked against SECRET_KEY: the database did not answer (%s)", type(error).__name__)
        return
    finally:
        engine.dispose()
    if mismatched:
        raise KeyMismatch(mismatched)


def checked_settings() -> Settings:
    """The process's settings, once they and the stored credentials are found usable; raises ConfigError."""
    settings = get_settings()
    check_stored_credentials(settings)
    return settings


def reencrypt_credentials(session: Session, vault: Vault) -> tuple[int, int]:
    """Encrypt every stored credential with the vault's newest key; answer (changed, stored).

    Nothing changes when any credential decrypts with none of the keys (KeyMismatch): the
    caller's transaction is rolled back. Rows are locked (PostgreSQL) so an edit made
    meanwhile is neither lost nor left under the old key.
    """
    changes: list[tuple[Connection, str, str]] = []
    stored = mismatched = 0
    for connection in session.scalars(select(Connection).order_by(Connection.id).with_for_update()):
        try:
            for column, token in _credentials(connection):
                stored += 1
                fresh = vault.reencrypted(token)
                if fresh is not None:
                    changes.append((connection, column, fresh))
        except CredentialError:
            mismatched += 1
    if mismatched:
        raise KeyMismatch(mismatched)
    for connection, column, fresh in changes:
        setattr(connection, column, fresh)
    session.flush()
    return len(changes), stored
