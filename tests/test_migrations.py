"""The Alembic migrations create exactly the schema the models describe, and run twice safely."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from db.migrate import upgrade
from db.models import Base
from db.session import get_engine


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
