"""`bin/dev`, run for real in a copy of the checkout that has a var/ of its own."""

import os
import shutil
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from connections.credentials import Vault, mask_access_token
from db.models import Connection
from tests.factories import FIXTURE_KEY, FIXTURE_SECRET
from tests.services import ROOT, free_port, ready, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the listening address"),
]
# What the copy leaves out: the checkout's own state, and what bin/dev does not run.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "var", "tests", "docs", "bench", "__pycache__", "*.egg-info", ".*cache")
# Settings the test run exports that bin/dev must choose for itself.
CHOSEN_BY_BIN_DEV = ("DATABASE_URL", "SECRET_KEY", "ADMIN_TOKEN", "PUBLIC_URL", "HOST", "GUNICORN_CMD_ARGS", "STORELINK_ENV")
LOOPBACK = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


class Dev:
    """`bin/dev` in its own process group, its output in a file."""

    def __init__(self, checkout: Path, environment: dict[str, str]):
        self.checkout = checkout
        self.environment = environment
        self.port = int(environment["PORT"])
        self.log = checkout / f"dev-{len(list(checkout.glob('dev-*.log')))}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                ["bin/dev"], cwd=checkout, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self) -> None:
        try:
            wait_until(lambda: ready(f"http://127.0.0.1:{self.port}"), timeout=60, what="bin/dev ready")
        except TimeoutError:
            print(self.output())
            raise

    def stop(self) -> int:
        """Ctrl-C, as in a terminal; answer bin/dev's exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the checkout using the same .venv, so bin/dev's var/ is the test's."""
    root = tmp_path / "checkout"
    shutil.copytree(ROOT, root, ignore=NOT_COPIED)
    (root / ".venv").symlink_to(ROOT / ".venv")
    return root


@pytest.fixture
def start_dev(checkout, redis_server):
    """Start bin/dev in the copy, on a Redis database of its own; stopped afterwards."""
    started: list[Dev] = []
    redis_url = f"redis://127.0.0.1:{redis_server.port}/7"

    def start(**environment: str) -> Dev:
        base = {name: value for name, value in os.environ.items() if name not in CHOSEN_BY_BIN_DEV}
        dev = Dev(checkout, {**base, "PORT": str(free_port()), "REDIS_URL": redis_url, "WEB_CONCURRENCY": "1", **environment})
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()
    client = redis_server.client()
    client.execute_command("SELECT", 7)
    client.flushdb()
    client.close()


def listening_addresses(port: int) -> set[str]:
    """The local addresses (as /proc/net/tcp[6] write them) of sockets listening on `port`."""
    addresses = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, _, port_hex = fields[1].rpartition(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:
                addresses.add(address)
    return addresses


def store_connection(checkout: Path, secret_key: str) -> None:
    """Save a connection in bin/dev's database, its credentials encrypted with `secret_key`."""
    engine = create_engine(f"sqlite:///{checkout / 'var' / 'storelink.db'}", poolclass=NullPool)
    vault = Vault(secret_key)
    with Session(engine) as session, session.begin():
        session.add(Connection(
            public_id="dev-test", name="Shop", external_system="woocommerce", api_url="https://shop.example.com",
            access_token_encrypted=vault.encrypt(FIXTURE_KEY), access_token_masked=mask_access_token(FIXTURE_KEY),
            secret_encrypted=vault.encrypt(FIXTURE_SECRET), auth_mode="basic", order_start=datetime(2026, 1, 1, tzinfo=UTC),
            store={},
        ))
    engine.dispose()


def test_bin_dev_writes_its_keys_for_your_eyes_only_and_listens_on_loopback_only(checkout, start_dev):
    dev = start_dev()
    dev.wait_ready()

    for name in ("secret_key", "admin_token"):
        assert (checkout / "var" / name).stat().st_mode & 0o777 == 0o600
    assert listening_addresses(dev.port) == {LOOPBACK}


def test_bin_dev_writes_no_key_given_to_it_and_refuses_to_start_without_the_key_that_stored_credentials(checkout, start_dev):
    given = "the-key-given-in-the-environment"
    first = start_dev(SECRET_KEY=given, ADMIN_TOKEN="given-admin-token")
    first.wait_ready()
    store_connection(checkout, given)
    first.stop()
    assert not (checkout / "var" / "secret_key").exists()  # a later run must not take another key for it
    assert not (checkout / "var" / "admin_token").exists()

    second = start_dev()  # forgot SECRET_KEY: a new key is generated, and cannot read what is stored
    exit_code = second.process.wait(timeout=120)

    output = second.output()
    assert exit_code != 0, output
    refusals = [line for line in output.splitlines() if "Refusing to start" in line]
    assert refusals and all("do not decrypt with SECRET_KEY" in line for line in refusals), output
    assert "Traceback" not in output
    generated = (checkout / "var" / "secret_key").read_text().strip()
    assert given not in output and generated not in output


def test_bin_dev_prints_its_banner_once_the_port_answers(start_dev):
    dev = start_dev()
    dev.wait_ready()
    banner = wait_until(lambda: "Storelink runs at" in dev.output() and dev.output(), what="the banner")
    assert f"http://localhost:{dev.port}" in banner


def test_bin_dev_prints_no_banner_while_nothing_listens_on_its_port(start_dev, tmp_path):
    # The web process binds a Unix socket instead: the port never answers, the worker runs all the same.
    dev = start_dev(GUNICORN_CMD_ARGS=f"--bind unix:{tmp_path / 'web.sock'}")
    wait_until(lambda: (tmp_path / "web.sock").exists() and "Listening on" in dev.output(), timeout=60, what="web and worker up")
    assert "Storelink runs at" not in dev.output()


def test_bin_dev_refuses_a_port_another_program_holds(start_dev):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        dev = start_dev(PORT=str(holder.getsockname()[1]))
        assert dev.process.wait(timeout=120) == 1
    assert "is taken by another program" in dev.output()
    assert "Storelink runs at" not in dev.output()
