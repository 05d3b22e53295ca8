"""The Alembic migrations create exactly the schema the models describe, run twice safely, and keep data."""

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text

from connections.credentials import Vault
from connections.identity import store_key_fingerprint
from db.migrate import alembic_config, upgrade
from db.models import Base, Connection, Schedule
from db.session import get_engine
from db.types import utcnow
from tests.conftest import SECRET_KEY


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


def test_upgrade_to_bigint_keeps_stored_records_and_then_takes_64_bit_values(fresh_database_url, monkeypatch):
    command.upgrade(alembic_config(fresh_database_url), "0003")
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)  # later revisions read the stored keys
    vault = Vault(SECRET_KEY)
    credentials = {"token": vault.encrypt("ck_" + "3" * 40), "secret": vault.encrypt("cs_x")}
    with get_engine(fresh_database_url).begin() as connection:
        for statement in BEFORE_0004:
            connection.execute(text(statement), credentials if ":token" in statement else {})
    upgrade(fresh_database_url)
    big, money = 2**63 - 1, "-0." + "0" * 37 + "1"  # the mapper's widest integer and money
    with get_engine(fresh_database_url).begin() as connection:
        assert connection.execute(text("SELECT name, quantity, price FROM order_line_items")).all() == [("Mug", 2, "8.99")]
        assert connection.execute(text("SELECT total, status FROM orders")).all() == [("17.98", "completed")]
        assert connection.execute(text("SELECT stock_quantity FROM products")).scalar_one() == 7
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == "12"  # text since 0007
        connection.execute(text("UPDATE order_line_items SET quantity = :big, price = :money"), {"big": big, "money": money})
        connection.execute(text("UPDATE products SET stock_quantity = :low"), {"low": -(2**63)})
        connection.execute(text("UPDATE webhooks SET store_webhook_id = :big"), {"big": str(big)})
        assert connection.execute(text("SELECT quantity, price FROM order_line_items")).one() == (big, money)
        assert connection.execute(text("SELECT stock_quantity FROM products")).scalar_one() == -(2**63)
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == str(big)
    with get_engine(fresh_database_url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        if connection.dialect.name == "sqlite":  # off while migrating, on again for the process's later work
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# A connection with a webhook, an order with a line item, and a product, as revision 0003 stores them.
BEFORE_0004 = [
    "INSERT INTO connections (id, public_id, name, external_system, api_url, access_token_encrypted,"
    " access_token_masked, secret_encrypted, auth_mode, order_start, store, created_at, updated_at)"
    " VALUES (1, 'pub', 'Shop', 'woocommerce', 'https://shop.example', :token, 'ck_…3333', :secret, 'basic',"
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


# The longest ids of other systems a webhook or record id column must hold: a Shopify GID of a 64-bit id.
SHOPIFY_WEBHOOK_GID = "gid://shopify/WebhookSubscription/18446744073709551615"
SHOPIFY_VARIANT_GID = "gid://shopify/ProductVariant/18446744073709551615"


def test_store_id_columns_hold_shopify_gids_of_64_bit_ids(fresh_database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    command.upgrade(alembic_config(fresh_database_url), "0003")
    vault = Vault(SECRET_KEY)
    credentials = {"token": vault.encrypt("ck_" + "3" * 40), "secret": vault.encrypt("cs_x")}
    with get_engine(fresh_database_url).begin() as connection:
        for statement in BEFORE_0004:
            connection.execute(text(statement), credentials if ":token" in statement else {})
    upgrade(fresh_database_url)
    with get_engine(fresh_database_url).begin() as connection:
        connection.execute(text("UPDATE webhooks SET store_webhook_id = :gid"), {"gid": SHOPIFY_WEBHOOK_GID})
        connection.execute(text("UPDATE products SET external_id = :gid, parent_external_id = :gid"), {"gid": SHOPIFY_VARIANT_GID})
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == SHOPIFY_WEBHOOK_GID
        assert connection.execute(text("SELECT external_id FROM products")).scalar_one() == SHOPIFY_VARIANT_GID


def test_downgrading_0007_refuses_a_store_webhook_id_that_is_not_a_number_and_changes_nothing(fresh_database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0003")
    vault = Vault(SECRET_KEY)
    credentials = {"token": vault.encrypt("ck_" + "3" * 40), "secret": vault.encrypt("cs_x")}
    with get_engine(fresh_database_url).begin() as connection:
        for statement in BEFORE_0004:
            connection.execute(text(statement), credentials if ":token" in statement else {})
    command.upgrade(config, "0007")
    with get_engine(fresh_database_url).begin() as connection:
        connection.execute(text("UPDATE webhooks SET store_webhook_id = :gid"), {"gid": SHOPIFY_WEBHOOK_GID})
    with pytest.raises(RuntimeError, match="not a number"):
        command.downgrade(config, "0006")
    with get_engine(fresh_database_url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0007"
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == SHOPIFY_WEBHOOK_GID
    with get_engine(fresh_database_url).begin() as connection:
        connection.execute(text("UPDATE webhooks SET store_webhook_id = '12'"))
    command.downgrade(config, "0006")
    with get_engine(fresh_database_url).connect() as connection:
        assert connection.execute(text("SELECT store_webhook_id FROM webhooks")).scalar_one() == 12
