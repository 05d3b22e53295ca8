"""SECRET_KEY against the stored credentials: processes refuse to start when it cannot read them,
and `storelink reencrypt` moves them all to the newest key."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import config
from connections.credentials import Vault
from connections.keys import KeyMismatch, check_stored_credentials
from db.models import Connection
from db.session import transaction
from tests.conftest import SECRET_KEY, run_to_exit
from tests.factories import FIXTURE_KEY, FIXTURE_SECRET, make_connection
from tests.services import ROOT, ready, wait_until

pytestmark = pytest.mark.e2e
NEW_KEY = "a-new-secret-key-for-the-rotation-test"
# The processes that read stored credentials (the release process only migrates).
CHECKING = ("web", "worker", "clock")


def encrypted_columns(database_url: str) -> list[tuple[str, str, str | None]]:
    """(access token, secret, previous secret) as stored, encrypted, per connection."""
    with transaction(database_url) as session:
        rows = session.execute(
            select(Connection.access_token_encrypted, Connection.secret_encrypted, Connection.previous_secret_encrypted)
            .order_by(Connection.id)
        )
        return [tuple(row) for row in rows]


def reencrypt(environment: dict, secret_key: str) -> subprocess.CompletedProcess:
    """Run the re-encrypt command as an operator would."""
    return subprocess.run(
        [Path(sys.executable).parent / "storelink", "reencrypt"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**environment_of(environment), "SECRET_KEY": secret_key},
    )


def environment_of(environment: dict) -> dict:
    """The environment processes started by the test run with."""
    return {**os.environ, **environment}


def with_previous_secret(public_id: str, secret: str) -> None:
    """Give the connection a previous secret still in its grace period (as after a key change)."""
    settings = config.get_settings()
    with transaction(settings.database_url) as session:
        connection = session.scalars(select(Connection).where(Connection.public_id == public_id)).one()
        connection.previous_secret_encrypted = Vault(settings.secret_key).encrypt(secret)
        connection.previous_secret_until = datetime.now(UTC) + timedelta(days=1)


def deleted_without_credentials(public_id: str) -> None:
    """Blank the connection's credentials, as deleting it does (it is kept to answer 410)."""
    with transaction(config.get_settings().database_url) as session:
        connection = session.scalars(select(Connection).where(Connection.public_id == public_id)).one()
        connection.access_token_encrypted = connection.secret_encrypted = ""


@pytest.mark.parametrize("name", CHECKING)
def test_a_process_whose_secret_key_cannot_read_stored_credentials_refuses_to_start(environment, tmp_path, name):
    make_connection()
    other_key = "not-the-key-that-encrypted-them"
    exit_code, log = run_to_exit(name, {**environment_of(environment), "SECRET_KEY": other_key, "PORT": "0"}, tmp_path)

    assert exit_code == 1, log
    refusals = [line for line in log.splitlines() if "Refusing to start" in line]
    assert len(refusals) == 1, log
    assert "stored credentials of 1 connection do not decrypt with SECRET_KEY" in refusals[0]
    assert "SECRET_KEY=new,old" in refusals[0] and "storelink reencrypt" in refusals[0]
    assert "Traceback" not in log
    assert other_key not in log and SECRET_KEY not in log and FIXTURE_SECRET not in log


def test_processes_start_with_the_old_key_listed_after_a_new_one(start_service):
    make_connection()
    service = start_service(workers=1, clock=True, extra={"SECRET_KEY": f"{NEW_KEY},{SECRET_KEY}"})
    assert ready(service.url)
    # Past the check: the worker works, the clock ticks.
    wait_until(lambda: "started with PID" in log_of(service, "worker0") and "clock started" in log_of(service, "clock"),
               timeout=30, what="worker and clock running")
    assert "Refusing to start" not in service.processes.output()


def log_of(service, name: str) -> str:
    return (service.processes.logs / f"{name}.log").read_text(errors="replace")


def test_reencrypt_moves_every_credential_to_the_newest_key_and_says_how_many(environment, database_url):
    with_previous_secret(make_connection(), "cs_previous")
    make_connection(secret="cs_second")
    deleted_without_credentials(make_connection(deleted=True))  # nothing to re-encrypt
    before = encrypted_columns(database_url)

    done = reencrypt(environment, f"{NEW_KEY},{SECRET_KEY}")

    assert done.returncode == 0, done.stderr
    assert "Re-encrypted 5 of 5 stored credentials with the newest key in SECRET_KEY." in done.stdout
    assert "the others can be removed from SECRET_KEY" in done.stdout
    after = encrypted_columns(database_url)
    new_only = Vault(NEW_KEY)
    assert [[new_only.decrypt(token) if token else token for token in row] for row in after] == [
        [FIXTURE_KEY, FIXTURE_SECRET, "cs_previous"], [FIXTURE_KEY, "cs_second", None], ["", "", None],
    ]
    assert all(a != b for row_after, row_before in zip(after[:2], before[:2]) for a, b in zip(row_after, row_before) if a)
    check_stored_credentials(config.get_settings().with_overrides({"secret_key": NEW_KEY}))  # the old key can go

    again = reencrypt(environment, f"{NEW_KEY},{SECRET_KEY}")
    assert "Re-encrypted 0 of 5 stored credentials" in again.stdout
    assert encrypted_columns(database_url) == after


def test_reencrypt_changes_nothing_when_a_credential_decrypts_with_no_key(environment, database_url):
    make_connection()
    make_connection()
    before = encrypted_columns(database_url)

    done = reencrypt(environment, f"{NEW_KEY},yet-another-key")

    assert done.returncode == 1
    assert done.stderr.startswith("Nothing re-encrypted: the stored credentials of 2 connections do not decrypt")
    assert "Traceback" not in done.stderr
    assert encrypted_columns(database_url) == before


def test_the_check_passes_a_database_that_does_not_answer(tmp_path, caplog):
    # The processes start without their database and wait for it, as they always have.
    settings = config.load_settings({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path}/missing/storelink.db"})
    check_stored_credentials(settings)
    assert "stored credentials not checked against SECRET_KEY" in caplog.text


def test_the_check_names_how_many_connections_it_cannot_read(environment):
    make_connection()
    with pytest.raises(KeyMismatch, match="of 1 connection do not decrypt"):
        check_stored_credentials(config.get_settings().with_overrides({"secret_key": NEW_KEY}))
