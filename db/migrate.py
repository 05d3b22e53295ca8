"""Run the Alembic migrations: the only way the schema is created or changed (`release` process)."""

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic config aimed at `database_url`."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["skip_logging_config"] = True
    return config


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder a SQLite file lives in, so a fresh checkout can migrate."""
    database = make_url(database_url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(database_url: str) -> None:
    """Bring the database at `database_url` to the newest schema (idempotent)."""
    command.upgrade(alembic_config(database_url), "head")


def main() -> int:
    """Migrate the database of the environment's settings; refuse (exit 1, a line per problem) settings no process can run with."""
    from config import ConfigError, get_settings
    from config.logging import configure_logging, log_refusal

    configure_logging()
    try:
        settings = get_settings()
    except ConfigError as error:
        return log_refusal(logging.getLogger(__name__), error)
    upgrade(settings.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
