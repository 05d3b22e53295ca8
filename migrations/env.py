"""Alembic environment: migrates the database named by DATABASE_URL (or the URL a caller passes)."""

from contextlib import contextmanager

from alembic import context

from config import load_settings
from db.models import Base
from db.session import get_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _database_url()
    if url.startswith("sqlite"):
        from db.migrate import ensure_sqlite_directory

        ensure_sqlite_directory(url)
    with get_engine(url).connect() as connection, _sqlite_foreign_keys_off(connection):
        # One transaction for the whole upgrade on SQLite too (its DDL is transactional, though
        # Alembic assumes not and would commit each revision apart): a failed upgrade leaves the
        # database as it was, at the revision it started from, as on PostgreSQL.
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True, transactional_ddl=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "sqlite":
                # Checked before committing, so that a migration that broke them leaves nothing behind.
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if problems:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {problems[:5]}")


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """On SQLite, batch migrations copy a table and drop the old one: with foreign keys on, the
    drop would cascade (dropping `orders` deletes every line item). The pragma only takes effect
    outside a transaction, so it is set on the driver's connection before SQLAlchemy begins one."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()  # a failed migration's transaction ends first: inside one the pragma is ignored
        driver.execute("PRAGMA foreign_keys=ON")  # the engine's pooled connection is used again


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
