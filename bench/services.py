"""What the sections run against: a private Redis, fresh databases, gunicorn, RQ workers.

Processes are started as the Procfile starts them (`tests.services.Processes`: each in its own
process group, stopped with SIGTERM, then SIGKILL) with the environment the test suite gives
them (`tests/conftest.py`), and every section stops what it started in a `finally`.
"""

import contextlib
import os
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

import config
from db.migrate import upgrade
from db.session import dispose_engines
from tests.services import Processes, free_port, ready, wait_until
from tests.services import RedisServer as RedisServer  # the sections take it from here

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "bench-admin-token-" + secrets.token_hex(8)
SECRET_KEY = "bench-secret-key-" + secrets.token_hex(8)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STARTUP_TIMEOUT_SECONDS = 30


def sqlite_database(directory: Path, name: str) -> str:
    """A migrated, empty SQLite database file under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / f'{name}.db'}"
    upgrade(url)
    return url


def postgres_reachable(server_url: str = POSTGRES_URL) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(_admin_dsn(server_url), connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 - any reason is a reason to skip
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"


def _admin_dsn(server_url: str) -> str:
    url = make_url(config.normalize_database_url(server_url)).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def postgres_database(server_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new, migrated PostgreSQL database on that server, dropped afterwards (as tests.services does)."""
    import psycopg

    name = f"storelink_bench_{uuid.uuid4().hex[:12]}"
    dsn = _admin_dsn(server_url)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(config.normalize_database_url(server_url)).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(redis_url: str, database_url: str, *, port: int | None = None, **extra: str) -> dict[str, str]:
    """The environment every process of a section reads its settings from (as tests/conftest.py sets it)."""
    port = port or free_port()
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ALLOW_PRIVATE_STORE_URLS": "1",
        "CLOCK_TICK_SECONDS": "1",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    return {**os.environ, **values}


@contextlib.contextmanager
def settings_from(env: dict[str, str]) -> Iterator[None]:
    """Make this process read its settings (config.get_settings) from `env` for a while."""
    names = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ADMIN_TOKEN", "PUBLIC_URL", "ALLOW_PRIVATE_STORE_URLS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: env[name] for name in names})
    config.get_settings.cache_clear()
    try:
        yield
    finally:
        dispose_engines()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        config.get_settings.cache_clear()


@contextlib.contextmanager
def processes(env: dict[str, str], logs: Path) -> Iterator[Processes]:
    """Procfile-style processes, all stopped on the way out; their logs' tails shown if something failed."""
    logs.mkdir(parents=True, exist_ok=True)
    running = Processes(env, logs)
    try:
        yield running
    except BaseException:
        if running.running:
            print(running.output())
        raise
    finally:
        running.stop()


def start_web(running: Processes, env: dict[str, str], name: str = "web", app: str | None = None) -> str:
    """gunicorn with config/gunicorn.py (the Procfile's web), serving `app` instead if given; answer its URL."""
    url = f"http://127.0.0.1:{env['PORT']}"
    command = ["-m", "gunicorn", "-c", "config/gunicorn.py"] + ([app] if app else [])
    running.start(name, *command)
    probe = (lambda: ready(url)) if app is None else (lambda: _answers(url))
    wait_until(probe, timeout=STARTUP_TIMEOUT_SECONDS, interval=0.1, what=f"gunicorn {name}")
    return url


def _answers(url: str) -> bool:
    try:
        requests.get(url + "/", timeout=2)
        return True
    except requests.RequestException:
        return False


def wait_for_port_closed(port: int, timeout: float = 30) -> None:
    """Wait until nobody listens on `port` (a stopped gunicorn has let go of it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
