"""Fixtures: real Redis, a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), the
store emulator, the app behind a live HTTP server, and an in-process RQ worker."""

import os
import secrets
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job
from sqlalchemy import delete

import config
from db.migrate import upgrade
from db.models import Base
from db.session import dispose_engines, get_engine
from jobs.queues import POLLS_QUEUE, QUEUES, SERIALIZER, queue, redis_connection
from tests.services import (
    ROOT,
    LiveServer,
    Processes,
    RedisServer,
    Service,
    free_port,
    postgres_database,
    ready,
    wait_until,
)
from tests.systems import registered_kits, trust_ca
from tests.woo_emulator import ManualClock, WooEmulator
from web import create_app

ADMIN_TOKEN = "test-admin-token-" + secrets.token_hex(8)
SECRET_KEY = "test-secret-key-" + secrets.token_hex(8)
# UTC+13 in December, UTC+12 in June.
FAR_FROM_UTC = "Pacific/Auckland"
# Where the clock of a store emulator the test moves (`clocked_store`) starts.
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# The Procfile's processes, as arguments to `python`.
PROCESSES = {
    "release": ("-m", "db.migrate"),
    "web": ("-m", "gunicorn", "-c", "config/gunicorn.py"),
    "worker": ("-m", "jobs.worker"),
    "clock": ("-m", "jobs.clock"),
}


def run_to_exit(name: str, environ: dict[str, str], logs: Path, timeout: float = 60) -> tuple[int, str]:
    """Start Procfile process `name` with `environ`, wait for it to end; answer (exit code, its log)."""
    processes = Processes(environ, logs)
    processes.start(name, *PROCESSES[name])
    try:
        exit_code = processes.wait(name, timeout=timeout)
    finally:
        processes.stop()
    return exit_code, (logs / f"{name}.log").read_text()
# Where the emulators of the shared guarantee tests start their clocks.
CLOCK_START = "2026-11-27T10:00:00Z"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A private redis-server for the whole run."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated, empty database: PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with postgres_database(config.normalize_database_url(server_url)) as url:
            upgrade(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'storelink.db'}"
        upgrade(url)
        yield url
        dispose_engines()


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the kind the run uses, for migrating step by step. PostgreSQL's runs
    in a time zone far from UTC, as a self-hosted server may: a migration must not write local time."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        with postgres_database(config.normalize_database_url(server_url), timezone=FAR_FROM_UTC) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        dispose_engines()


@pytest.fixture(scope="session")
def live_server():
    """The port the app will be served on; stores deliver webhooks here."""
    return LiveServer()


@pytest.fixture(scope="session")
def environment(redis_server, database_url, live_server):
    """The environment every process of the run reads its settings from."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "PUBLIC_URL": live_server.url,
        "ALLOW_PRIVATE_STORE_URLS": "1",
        "STORE_TIMEOUT_SECONDS": "5",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        config.get_settings.cache_clear()
        yield values
    config.get_settings.cache_clear()


@pytest.fixture(scope="session")
def app(environment, live_server):
    """The app, also served over HTTP at PUBLIC_URL for the store's pings and deliveries."""
    application = create_app({"max_webhook_bytes": 512 * 1024})
    application.config["TESTING"] = True
    live_server.start(application)
    yield application
    live_server.stop()


@pytest.fixture(autouse=True)
def clean_state(request):
    """Every test starts with empty tables and an empty Redis."""
    yield
    if "environment" not in request.fixturenames:
        return
    settings = config.get_settings()
    with get_engine(settings.database_url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    redis_connection(settings.redis_url).flushdb()


@pytest.fixture
def client(app):
    """A test client that sends the admin token."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {ADMIN_TOKEN}"
    return test_client


@pytest.fixture
def anonymous(app):
    """A test client without credentials."""
    return app.test_client()


@pytest.fixture
def store():
    """A WooCommerce store emulator on plain http, with a read/write key."""
    with WooEmulator() as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


@pytest.fixture
def clocked_store():
    """As `store`, on a clock the test moves (`store.clock.advance`) from START, so modification
    times are known. A module whose tests want it everywhere names it `store` (see test_polling)."""
    with WooEmulator(clock=ManualClock(START)) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


@pytest.fixture
def connect(client, store, run_jobs):
    """Register `store` through the admin API and run the job that registers its webhooks, as a
    worker would; answer the connection's JSON then."""

    def create(**overrides) -> dict:
        body = {
            "name": "Test store",
            "external_system": "woocommerce",
            "api_url": store.base_url,
            "access_token": store.key,
            "secret": store.secret,
            "order_start": "2020-01-01",
            "warehouse": "Main",
            **overrides,
        }
        response = client.post("/api/connections", json=body)
        assert response.status_code == 201, response.json
        assert response.json["webhooks_state"] == "registering", response.json
        run_jobs()
        return client.get(response.headers["Location"]).json

    return create


@pytest.fixture(params=registered_kits(), ids=lambda kit: kit.system)
def system(request):
    """Each registered system's test kit (tests/systems.py): the guarantee tests run once per system."""
    return request.param


@pytest.fixture
def system_store(system):
    """The system's store emulator (`tests.emulators.StoreEmulator`) on a clock the test moves."""
    with system.emulator(clock_start=CLOCK_START) as adapter:
        yield adapter


@pytest.fixture
def connect_system(app, client, system, system_store, run_jobs, monkeypatch):
    """Register `system_store` through the admin API and run the webhooks' registration; answer the connection id.
    The store's own CA (`ca_file`) is trusted by the app and the jobs run here, as STORE_CA_BUNDLE makes it."""
    if system_store.ca_file:
        trust_ca(app, monkeypatch, system_store.ca_file)

    def create(**overrides) -> str:
        response = client.post("/api/connections", json=system.connection_body(system_store, **overrides))
        assert response.status_code == 201, response.json
        run_jobs()
        return response.json["id"]

    yield create
    config.get_settings.cache_clear()  # the environment is restored after this


@pytest.fixture
def redis_client(environment):
    """The Redis the app and workers use."""
    return redis_connection(environment["REDIS_URL"])


@pytest.fixture
def run_jobs(redis_client):
    """Run every queued job in this process, as a worker would; answer how many ran."""

    def run() -> int:
        worker = SimpleWorker(
            [queue(name, redis_client) for name in QUEUES], connection=redis_client, serializer=SERIALIZER
        )
        worker.work(burst=True, with_scheduler=False)
        worker.refresh()  # the counts are kept in Redis
        return worker.successful_job_count + worker.failed_job_count

    return run


@pytest.fixture
def run_jobs_and_resumptions(run_jobs, redis_client):
    """Run every queued job, then each poll queued to resume later once its time comes (as a
    worker's scheduler would move it into the queue), until none is left; answer how many ran."""

    def run() -> int:
        ran = run_jobs()
        polls = queue(POLLS_QUEUE, redis_client)
        registry = polls.scheduled_job_registry
        while job_ids := registry.get_job_ids():
            wait = registry.get_scheduled_time(job_ids[0]).timestamp() - time.time()
            time.sleep(max(0.0, wait))
            job = Job.fetch(job_ids[0], connection=redis_client, serializer=SERIALIZER)
            registry.remove(job)
            polls.enqueue_job(job)
            ran += run_jobs()
        return ran

    return run


@pytest.fixture
def start_service(environment, tmp_path):
    """Start Procfile processes (gunicorn, workers, clock) on the test database and Redis."""
    started: list[Processes] = []

    def start(*, web: bool = True, workers: int = 1, clock: bool = False, extra: dict | None = None) -> Service:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ, **environment, "PORT": str(port), "PUBLIC_URL": url, "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "INFO", "CLOCK_TICK_SECONDS": "1", **(extra or {}),
        }
        processes = Processes(env, tmp_path)
        started.append(processes)
        if web:
            processes.start("web", "-m", "gunicorn", "-c", "config/gunicorn.py")
        for number in range(workers):
            processes.start(f"worker{number}", "-m", "jobs.worker")
        if clock:
            processes.start("clock", "-m", "jobs.clock")
        if web:
            try:
                wait_until(lambda: ready(url), timeout=30, what="gunicorn /readyz")
            except TimeoutError:
                print(processes.output())
                raise
        return Service(url, processes)

    yield start
    for processes in started:
        processes.stop()


@pytest.fixture
def demo_store(tmp_path):
    """`bin/demo-store` as a process of its own; answer (state file, output file); Ctrl-C afterwards."""
    state, output = tmp_path / "demo-store.json", tmp_path / "demo-store.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [ROOT / "bin" / "demo-store", "--port", "0", "--state", state],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_until(lambda: "Ctrl-C stops" in output.read_text(), what="the demo store's banner")
        yield state, output
    finally:
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=20) == 0, output.read_text()
    assert not state.exists()  # a change command now says no store runs
