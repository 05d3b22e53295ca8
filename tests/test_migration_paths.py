"""Migrations proven on data: an upgrade from every earlier revision, with rows in every table,
ends with every row and value intact, and every revision downgrades by one and back keeping
what the older schema holds. On SQLite, or PostgreSQL with TEST_DATABASE_URL."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, UniqueConstraint, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from connections.credentials import Vault
from db.migrate import alembic_config
from db.models import Base
from db.session import get_engine
from tests.conftest import SECRET_KEY
from tests.migration_rows import ADDED, Between, Ref, described_rows, generated_counter, generated_schedules

REVISIONS = [script.revision for script in reversed(list(ScriptDirectory.from_config(alembic_config("")).walk_revisions()))]
HEAD = REVISIONS[-1]
TABLES = Base.metadata.sorted_tables  # parents before children

Schema = dict[str, set[str]]


def read_schema(url: str) -> Schema:
    """The tables the database has now, with their columns."""
    with get_engine(url).connect() as connection:
        inspector = inspect(connection)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names() if table != "alembic_version"
        }


def typed(name: str, columns: set[str], numbers: set[tuple[str, str]] = frozenset()) -> Table:
    """Table `name` with the models' column types (UTC datetimes, JSON), limited to `columns`;
    the columns in `numbers` as the integers the database keeps there."""
    model = Base.metadata.tables[name]
    unknown = columns - set(model.columns.keys())
    assert not unknown, f"{name} has columns the models lack: {sorted(unknown)}; describe what becomes of them"
    return Table(
        name, MetaData(),
        *(Column(c.name, BigInteger() if (name, c.name) in numbers else c.type, primary_key=c.primary_key)
          for c in model.columns if c.name in columns),
    )


def numbers_kept_as_text(url: str) -> set[tuple[str, str]]:
    """The (table, column)s the database keeps as integers where the models keep text (an older revision's)."""
    with get_engine(url).connect() as connection:
        inspector = inspect(connection)
        return {
            (table, column["name"])
            for table in inspector.get_table_names() if table in Base.metadata.tables
            for column in inspector.get_columns(table)
            if isinstance(column["type"], Integer) and column["name"] in Base.metadata.tables[table].columns
            and Base.metadata.tables[table].columns[column["name"]].type.python_type is str
        }


def as_kept(value, numeric: bool):
    """A described value as the database keeps it: the number of a text, in a column that holds numbers."""
    return int(value) if numeric and isinstance(value, str) else value


def insert_rows(url: str, rows: dict, schema: Schema) -> dict[tuple[str, str], int]:
    """Insert every described row of every table `schema` has, with the columns it has; answer their ids."""
    ids: dict[tuple[str, str], int] = {}
    numbers = numbers_kept_as_text(url)
    with get_engine(url).begin() as connection:
        for table in TABLES:
            if table.name not in schema:
                continue
            target = typed(table.name, schema[table.name], numbers)
            for name, row in rows[table.name].items():
                undescribed = schema[table.name] - set(row) - {"id"}
                assert not undescribed, f"describe {table.name}.{sorted(undescribed)} in tests/migration_rows.py"
                values = {
                    column: as_kept(resolve(row[column], ids), (table.name, column) in numbers)
                    for column in schema[table.name] if column != "id"
                }
                ids[table.name, name] = connection.execute(insert(target).values(values)).inserted_primary_key[0]
    return ids


def resolve(value, ids: dict):
    return ids[value.table, value.name] if isinstance(value, Ref) else value


def expected_rows(rows: dict, kept: Schema, ids: dict, window: Between) -> dict[str, list[dict]]:
    """Every table at head: the described values of the columns `kept` all along, the documented
    values of columns added since, and no rows in tables made since (but 0002's schedules and
    0008's counter)."""
    expected = {}
    for table in TABLES:
        if table.name in kept:
            found = [
                {"id": ids[table.name, name]} | {
                    column: row[column] if column in kept[table.name] else _added(table.name, column, row)
                    for column in table.columns.keys() if column != "id"
                }
                for name, row in rows[table.name].items()
            ]
        elif table.name == "schedules":
            found = generated_schedules(rows, window)
        elif table.name == "change_counter":
            found = generated_counter(rows)
        else:
            found = []
        expected[table.name] = [{column: resolve(value, ids) for column, value in row.items()} for row in found]
    return expected


def _added(table: str, column: str, row: dict):
    assert column in ADDED.get(table, {}), f"say in tests/migration_rows.py ADDED what {table}.{column} holds once added"
    value = ADDED[table][column]
    return value(row) if callable(value) else value


def assert_rows(url: str, expected: dict[str, list[dict]]) -> None:
    """The database holds exactly `expected`, in the tables and columns it has now."""
    schema, numbers = read_schema(url), numbers_kept_as_text(url)
    with get_engine(url).connect() as connection:
        for name, columns in schema.items():
            table = typed(name, columns, numbers)
            found = [dict(row) for row in connection.execute(select(table).order_by(table.c.id)).mappings()]
            wanted = [{column: as_kept(row[column], (name, column) in numbers) for column in columns} for row in expected[name]]
            assert _sorted(name, found) == _sorted(name, wanted), f"table {name}"


def _sorted(name: str, rows: list[dict]) -> list[dict]:
    """Rows in the order of a unique key the table has now (ids of rows a migration made are unknown)."""
    constraints = Base.metadata.tables[name].constraints
    keys = sorted(tuple(c.columns.keys()) for c in constraints if isinstance(c, UniqueConstraint))
    key = next((key for key in keys if rows and set(key) <= set(rows[0])), ("id",))
    return sorted(rows, key=lambda row: tuple(str(row[column]) for column in key))


def assert_schema_matches_the_models(url: str) -> None:
    with get_engine(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def kept_through(*schemas: Schema) -> Schema:
    """The columns every one of `schemas` has: what survives going through all of them."""
    tables = set.intersection(*(set(schema) for schema in schemas))
    return {table: set.intersection(*(schema[table] for schema in schemas)) for table in tables}


@pytest.fixture
def migrating(fresh_database_url, monkeypatch):
    """Alembic aimed at an empty database; SECRET_KEY set, as 0006 decrypts stored keys."""
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    return alembic_config(fresh_database_url)


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_upgrading_from_an_earlier_revision_keeps_every_row_and_downgrading_by_one_too(start, migrating):
    url = migrating.attributes["database_url"]
    command.upgrade(migrating, start)
    rows, at_start = described_rows(Vault(SECRET_KEY)), read_schema(url)
    ids = insert_rows(url, rows, at_start)
    began = datetime.now(UTC)
    command.upgrade(migrating, "head")
    assert_rows(url, expected_rows(rows, at_start, ids, Between(began, datetime.now(UTC))))
    assert_schema_matches_the_models(url)

    command.downgrade(migrating, "-1")  # the rollback of the latest deploy
    previous = read_schema(url)
    assert_rows(url, expected_rows(rows, at_start, ids, Between(began, datetime.now(UTC))))
    command.upgrade(migrating, "head")
    assert_rows(url, expected_rows(rows, kept_through(at_start, previous), ids, Between(began, datetime.now(UTC))))
    assert_schema_matches_the_models(url)


@pytest.mark.parametrize("revision", REVISIONS[1:])
def test_each_revision_downgrades_by_one_with_data_and_upgrades_again(revision, migrating):
    url = migrating.attributes["database_url"]
    command.upgrade(migrating, revision)
    rows, at_revision = described_rows(Vault(SECRET_KEY)), read_schema(url)
    ids = insert_rows(url, rows, at_revision)
    began = datetime.now(UTC)
    command.downgrade(migrating, "-1")
    previous = read_schema(url)
    assert_rows(url, expected_rows(rows, at_revision, ids, Between(began, datetime.now(UTC))))
    command.upgrade(migrating, revision)
    assert_rows(url, expected_rows(rows, kept_through(at_revision, previous), ids, Between(began, datetime.now(UTC))))


def test_the_rows_describe_every_column_of_every_table():
    rows = described_rows(Vault(SECRET_KEY))
    for table in TABLES:
        assert rows[table.name], f"no {table.name} described"
        for name, row in rows[table.name].items():
            assert set(row) == set(table.columns.keys()) - {"id"}, f"{table.name} {name}"


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_failed_upgrade_leaves_the_database_as_it_was(migrating, monkeypatch):
    url, start = migrating.attributes["database_url"], "0003"
    command.upgrade(migrating, start)
    rows, at_start = described_rows(Vault(SECRET_KEY)), read_schema(url)
    ids = insert_rows(url, rows, at_start)
    monkeypatch.delenv("SECRET_KEY")  # 0006 cannot read the stored keys: the last revision fails
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        command.upgrade(migrating, "head")
    assert (current_revision(url), read_schema(url)) == (start, at_start)
    assert_rows(url, expected_rows(rows, at_start, ids, Between(datetime.now(UTC), datetime.now(UTC))))
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    command.upgrade(migrating, "head")
    assert current_revision(url) == HEAD


def test_an_upgrade_that_leaves_foreign_keys_pointing_nowhere_on_sqlite_commits_nothing(migrating):
    url, start = migrating.attributes["database_url"], "0003"
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's foreign keys are off while migrating; PostgreSQL's never are")
    command.upgrade(migrating, start)
    at_start = read_schema(url)
    with closing(sqlite3.connect(make_url(url).database)) as driver, driver:  # foreign keys off: a broken row
        driver.execute("INSERT INTO order_line_items (order_id, position, external_id) VALUES (999, 0, '1')")
    with pytest.raises(RuntimeError, match="foreign keys point nowhere"):
        command.upgrade(migrating, "head")
    assert (current_revision(url), read_schema(url)) == (start, at_start)


@pytest.mark.parametrize(
    ("column", "value", "refusal"), [("quantity", 2**40, "out of range"), ("price", "9" * 38 + ".99", "too long")]
)
def test_downgrading_0004_on_postgresql_refuses_values_the_old_columns_cannot_hold(column, value, refusal, migrating):
    url = migrating.attributes["database_url"]
    if url.startswith("sqlite"):
        pytest.skip("SQLite keeps any value in any column: nothing is cut")
    command.upgrade(migrating, "0004")
    rows = described_rows(Vault(SECRET_KEY))
    rows["order_line_items"]["mug"][column] = value  # wider than the columns of 0003
    at_0004 = read_schema(url)
    ids = insert_rows(url, rows, at_0004)
    with pytest.raises(DBAPIError, match=refusal):
        command.downgrade(migrating, "-1")
    assert current_revision(url) == "0004"
    assert_rows(url, expected_rows(rows, at_0004, ids, Between(datetime.now(UTC), datetime.now(UTC))))
