"""Real services for the test suite: a private Redis, a fresh database, a live HTTP server."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from werkzeug.serving import make_server

# How long a freshly started service may take to answer.
STARTUP_TIMEOUT_SECONDS = 15


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = STARTUP_TIMEOUT_SECONDS, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it is truthy; fail loudly after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


class RedisServer:
    """A private redis-server on a spare port; it can be stopped and restarted.

    By default it keeps nothing on disk (tests); `append_only` persists as production should
    (AOF, fsync every second), for the benchmarks.
    """

    def __init__(self, directory: Path, *, append_only: bool = False, tls: tuple[Path, Path] | None = None):
        self.directory = directory
        self.append_only = append_only
        # (certificate, key): serve TLS only (`rediss://`), as Heroku Redis does.
        self.tls = tls
        self.port = free_port()
        self.url = f"{'rediss' if tls else 'redis'}://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        listen = ["--port", str(self.port)]
        if self.tls:
            certificate, key = self.tls
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(certificate),
                      "--tls-key-file", str(key), "--tls-ca-cert-file", str(certificate), "--tls-auth-clients", "no"]
        self._process = subprocess.Popen(
            [binary, *listen, "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.append_only else "no", "--appendfsync", "everysec",
             "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = self.client()
        try:
            wait_until(lambda: _pings(client), what="redis-server start")
        finally:
            client.close()
        return self

    def client(self) -> redis.Redis:
        """A new client of this server (the caller closes it)."""
        if self.tls:
            return redis.Redis.from_url(self.url, ssl_ca_certs=str(self.tls[0]))
        return redis.Redis.from_url(self.url)

    def pause(self) -> None:
        """Stall the server (SIGSTOP): connections stay open, nothing is answered."""
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def flush(self) -> None:
        """Forget everything."""
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


@contextlib.contextmanager
def postgres_database(server_url: str, *, timezone: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database on `server_url`'s server, dropped afterwards; its sessions
    run in `timezone` when given (the server's own otherwise)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"storelink_test_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(server_url).set(drivername="postgresql", database="postgres")
    dsn = admin_url.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        if timezone:
            statement = sql.SQL("ALTER DATABASE {} SET timezone TO {}")
            connection.execute(statement.format(sql.Identifier(name), sql.Literal(timezone)))
    try:
        yield make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        from db.session import dispose_engines

        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LiveServer:
    """Serves a WSGI app over real HTTP from a thread (what a store's deliveries reach)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self, app) -> None:
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None


def environment_for_subprocesses(extra: dict[str, str]) -> dict[str, str]:
    """os.environ plus `extra`, for gunicorn and worker processes started by tests."""
    return {**os.environ, **extra}


ROOT = Path(__file__).resolve().parent.parent


class Processes:
    """Procfile processes as subprocesses, stopped with SIGTERM as Heroku does."""

    def __init__(self, environment: dict[str, str], logs: Path):
        self.environment = environment
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        self._log_files = {}

    def start(self, name: str, *command: str) -> subprocess.Popen:
        """Start `python *command` as process `name`, its output in `logs/name.log`."""
        log = self._log_files[name] = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [sys.executable, *command], cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def kill(self, name: str, signum: int = signal.SIGKILL) -> None:
        """Send `signum` to the process and every process it started, as a lost machine or a stopped container does.

        Its process group is not enough: RQ puts each work horse in a group of its own.
        """
        root = self.running[name].pid
        tree = descendants(root)
        os.killpg(root, signum)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(pid, signum)

    def wait(self, name: str, timeout: float = 30) -> int:
        """Wait for the process to end; answer its exit code."""
        return self.running[name].wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM everything, then SIGKILL what is still there after 30 s."""
        for process in self.running.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._log_files.values():
            log.close()

    def output(self) -> str:
        """The tail of every process's log, for a failing test's report."""
        return "\n".join(
            f"--- {name}\n{(self.logs / f'{name}.log').read_text(errors='replace')[-4000:]}" for name in self.running
        )


@dataclass
class Service:
    """A running Storelink: its URL and its processes."""

    url: str
    processes: Processes


def ready(url: str) -> bool:
    """`/readyz` answers 200."""
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


# Linux's /proc: which process holds which socket (tests of the web server's sockets, the bench's
# spread of connections over gunicorn workers).
TCP_STATES = {"ESTABLISHED": "01", "LISTEN": "0A"}


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers, for its master)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # The command name may hold spaces and parentheses: the fields resume after the last ')'.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def descendants(pid: int) -> list[int]:
    """Every process `pid` started, and every process they started (an RQ worker's work horse)."""
    found = []
    for child in child_pids(pid):
        found += [child, *descendants(child)]
    return found


def tcp_sockets(pid: int, port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets on local `port` in `state` (a `TCP_STATES` key) that `pid` holds."""
    on_port = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == TCP_STATES[state] and int(fields[1].rpartition(":")[2], 16) == port:
                on_port.add(int(fields[9]))
    held = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(descriptor)
            if target.startswith("socket:["):
                held.add(int(target[len("socket:[") : -1]))
    return on_port & held
