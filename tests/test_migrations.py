"""The Alembic migrations create exactly the schema the models describe, run twice safely, and keep data."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select

import config
from connections.credentials import Vault
from connections.identity import store_key_fingerprint
from db.migrate import alembic_config, upgrade
from db.models import Base, Connection, Schedule
from db.session import dispose_engines, get_engine
from db.types import utcnow
from tests.conftest import SECRET_KEY
from tests.services import postgres_database


def test_migrations_match_the_models(database_url):
    with get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_again_is_a_no_op(database_url):
    upgrade(database_url)  # the release phase runs on every deploy


def test_credentials_are_encrypted_at_rest(client, connect, store, database_url):
    connect()
    with get_engine(database_url).connect() as connection:
        row = connection.exec_driver_sql("SELECT * FROM connections").mappings().one()
    dumped = " ".join(str(value) for value in row.values())
    assert store.secret not in dumped
    assert store.key not in dumped


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the kind the run uses, for migrating step by step."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with postgres_database(config.normalize_database_url(server_url)) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        dispose_engines()


def test_upgrading_schedules_keeps_their_cursors_and_gives_them_daily_full_passes(fresh_database_url, monkeypatch):
    command.upgrade(alembic_config(fresh_database_url), "0003")
    vault = Vault(SECRET_KEY)
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    cursor = datetime(2026, 11, 30, 2, 59, tzinfo=UTC)
    with get_engine(fresh_database_url).begin() as connection:
        connection_id = connection.execute(
            insert(Connection.__table__).values(
                public_id="c1", name="Shop", external_system="woocommerce", api_url="https://shop.example.com",
                access_token_encrypted=vault.encrypt("ck_" + "1" * 40), access_token_masked="ck_…1111",
                secret_encrypted=vault.encrypt("cs_x"), auth_mode="basic",
                order_start=cursor - timedelta(days=30),
            )
        ).inserted_primary_key[0]
        for entity, minutes in (("orders", 60), ("products", 1440)):
            connection.execute(
                insert(Schedule.__table__).values(
                    connection_id=connection_id, entity=entity, interval_minutes=minutes, active=True, cursor=cursor
                )
            )
    upgrade(fresh_database_url)
    with get_engine(fresh_database_url).connect() as connection:
        rows = connection.execute(
            select(Schedule.entity, Schedule.cursor, Schedule.trash_cursor, Schedule.full_every_minutes).order_by(Schedule.entity)
        ).all()
    # The trash walk starts over from order_start: what a shared cursor skipped is read again.
    assert [tuple(row) for row in rows] == [("orders", cursor, None, 1440), ("products", cursor, None, 1440)]


def test_upgrading_fingerprints_existing_connections_the_oldest_of_duplicates_first(fresh_database_url, monkeypatch):
    command.upgrade(alembic_config(fresh_database_url), "0003")
    vault = Vault(SECRET_KEY)
    key, other_key = "ck_" + "1" * 40, "ck_" + "2" * 40
    rows = [
        ("first", "https://shop.example.com", key, None),
        ("second", "https://shop.example.com", key, None),  # the same store and key again
        ("deleted", "https://shop.example.com", key, utcnow()),
        ("other-key", "https://shop.example.com", other_key, None),
    ]
    with get_engine(fresh_database_url).begin() as connection:
        connection.execute(
            Connection.__table__.insert(),
            [
                {
                    "public_id": public_id, "name": public_id, "external_system": "woocommerce", "api_url": api_url,
                    "access_token_encrypted": vault.encrypt(token), "access_token_masked": "ck_…",
                    "secret_encrypted": vault.encrypt("cs_x"), "auth_mode": "basic", "order_start": utcnow(),
                    "deleted_at": deleted_at,
                }
                for public_id, api_url, token, deleted_at in rows
            ],
        )
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    upgrade(fresh_database_url)
    with get_engine(fresh_database_url).connect() as connection:
        found = dict(connection.execute(select(Connection.public_id, Connection.store_key_fingerprint)).all())
    assert found == {
        "first": store_key_fingerprint("https://shop.example.com", key),
        "second": None,
        "deleted": None,
        "other-key": store_key_fingerprint("https://shop.example.com", other_key),
    }
