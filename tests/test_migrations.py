"""The Alembic migrations create exactly the schema the models describe, and run twice safely."""

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import config
from db.migrate import alembic_config, upgrade
from db.models import Base
from db.session import dispose_engines, get_engine
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
def empty_database_url(tmp_path):
    """A database of its own, with no schema yet: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with postgres_database(config.normalize_database_url(server_url)) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        dispose_engines()


def test_upgrade_to_bigint_keeps_stored_records_and_then_takes_64_bit_values(empty_database_url):
    command.upgrade(alembic_config(empty_database_url), "0003")
    with get_engine(empty_database_url).begin() as connection:
        for statement in BEFORE_0004:
            connection.execute(text(statement))
    upgrade(empty_database_url)
    big, money = 2**63 - 1, "-0." + "0" * 37 + "1"  # the mapper's widest integer and money
    with get_engine(empty_database_url).begin() as connection:
        assert connection.execute(text("SELECT name, quantity, price FROM order_line_items")).all() == [("Mug", 2, "8.99")]
        assert connection.execute(text("SELECT total, status FROM orders")).all() == [("17.98", "completed")]
        assert connection.execute(text("SELECT stock_quantity FROM products")).scalar_one() == 7
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == 12
        connection.execute(text("UPDATE order_line_items SET quantity = :big, price = :money"), {"big": big, "money": money})
        connection.execute(text("UPDATE products SET stock_quantity = :low"), {"low": -(2**63)})
        connection.execute(text("UPDATE webhooks SET store_webhook_id = :big"), {"big": big})
        assert connection.execute(text("SELECT quantity, price FROM order_line_items")).one() == (big, money)
        assert connection.execute(text("SELECT stock_quantity FROM products")).scalar_one() == -(2**63)
    with get_engine(empty_database_url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        if connection.dialect.name == "sqlite":  # off while migrating, on again for the process's later work
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# A connection with a webhook, an order with a line item, and a product, as revision 0003 stores them.
BEFORE_0004 = [
    "INSERT INTO connections (id, public_id, name, external_system, api_url, access_token_encrypted,"
    " access_token_masked, secret_encrypted, auth_mode, order_start, store, created_at, updated_at)"
    " VALUES (1, 'pub', 'Shop', 'woocommerce', 'https://shop.example', 'x', 'ck_…1a2b', 'x', 'basic',"
    " '2026-01-01 00:00:00', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO webhooks (id, connection_id, topic, store_webhook_id, status, delivery_url, created_at, updated_at)"
    " VALUES (1, 1, 'order.updated', 12, 'active', 'https://x/webhooks', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO orders (id, connection_id, external_id, status, total, customer, billing, shipping, modified_at,"
    " deleted, stored_at) VALUES (1, 1, '93', 'completed', '17.98', '{}', '{}', '{}', '2026-01-01 00:00:00', false,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO order_line_items (id, order_id, position, external_id, name, quantity, price)"
    " VALUES (1, 1, 0, '154', 'Mug', 2, '8.99')",
    "INSERT INTO products (id, connection_id, external_id, type, stock_quantity, modified_at, deleted, stored_at)"
    " VALUES (1, 1, '10', 'simple', 7, '2026-01-01 00:00:00', false, '2026-01-01 00:00:00')",
]
