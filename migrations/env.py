"""Alembic environment: migrates the database named by DATABASE_URL (or the URL a caller passes)."""

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
    with get_engine(url).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one (Alembic's batch
            # mode): with foreign keys on, dropping `connections` would cascade to every
            # table that refers to it. The pragma works only outside a transaction.
            _pragma(connection, "foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose references are broken: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection, setting: str) -> None:
    """Run a PRAGMA on the driver's connection itself, outside any transaction."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
