"""The Alembic migrations create exactly the schema the models describe, run twice safely, and keep data."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select

import config
from db.migrate import alembic_config, upgrade
from db.models import Base, Connection, Schedule
from db.session import get_engine
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
def empty_database(tmp_path):
    """A database of its own, unmigrated: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with postgres_database(config.normalize_database_url(server_url)) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"


def test_upgrading_schedules_keeps_their_cursors_and_gives_them_daily_full_passes(empty_database):
    command.upgrade(alembic_config(empty_database), "0003")
    cursor = datetime(2026, 11, 30, 2, 59, tzinfo=UTC)
    with get_engine(empty_database).begin() as connection:
        connection_id = connection.execute(
            insert(Connection.__table__).values(
                public_id="c1", name="Shop", external_system="woocommerce", api_url="https://shop.example.com",
                access_token_encrypted="x", access_token_masked="ck_…1a2b", secret_encrypted="x", auth_mode="basic",
                order_start=cursor - timedelta(days=30),
            )
        ).inserted_primary_key[0]
        for entity, minutes in (("orders", 60), ("products", 1440)):
            connection.execute(
                insert(Schedule.__table__).values(
                    connection_id=connection_id, entity=entity, interval_minutes=minutes, active=True, cursor=cursor
                )
            )
    upgrade(empty_database)
    with get_engine(empty_database).connect() as connection:
        rows = connection.execute(
            select(Schedule.entity, Schedule.cursor, Schedule.trash_cursor, Schedule.full_every_minutes).order_by(Schedule.entity)
        ).all()
    # The trash walk starts over from order_start: what a shared cursor skipped is read again.
    assert [tuple(row) for row in rows] == [("orders", cursor, None, 1440), ("products", cursor, None, 1440)]
