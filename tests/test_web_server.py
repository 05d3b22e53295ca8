"""The Procfile's web process as gunicorn runs it with config/gunicorn.py: its listening and control sockets."""

import os
import socket
import sys
from urllib.parse import urlsplit

import pytest

from tests.services import Processes, child_pids, ready, tcp_sockets, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; SO_REUSEPORT as Linux has it"),
]


def test_every_worker_listens_on_a_socket_of_its_own(start_service):
    # So the kernel spreads connections over the workers, instead of whichever wakes first
    # taking them all (kept-alive connections stay with the worker that accepted them).
    service = start_service(workers=0)
    master = service.processes.running["web"].pid
    port = urlsplit(service.url).port
    workers = gunicorn_workers(master)
    listening = {pid: wait_until(lambda pid=pid: tcp_sockets(pid, port, "LISTEN"), what="a listening worker") for pid in workers}

    assert [len(sockets) for sockets in listening.values()] == [1, 1]
    assert len(set.union(*listening.values())) == 2  # not one socket inherited from the master
    assert tcp_sockets(master, port, "LISTEN") == set()


def test_gunicorn_reuse_port_0_keeps_one_socket_shared_by_the_workers(start_service):
    service = start_service(workers=0, extra={"GUNICORN_REUSE_PORT": "0"})
    master = service.processes.running["web"].pid
    port = urlsplit(service.url).port
    workers = gunicorn_workers(master)

    listening = tcp_sockets(master, port, "LISTEN")
    assert len(listening) == 1
    assert all(tcp_sockets(pid, port, "LISTEN") == listening for pid in workers)


def test_a_second_server_on_a_taken_port_is_refused_not_let_share_it(start_service, tmp_path):
    # With SO_REUSEPORT the kernel would let it bind and answer half of the first one's connections.
    first = start_service(workers=0)
    second = Processes(first.processes.environment, tmp_path / "second")
    (tmp_path / "second").mkdir()
    second.start("web", "-m", "gunicorn", "-c", "config/gunicorn.py")
    try:
        exit_code = second.wait("web", timeout=30)
    finally:
        second.stop()

    assert exit_code == 1
    port = urlsplit(first.url).port
    assert f"Port {port} on 0.0.0.0 is in use by another process" in (tmp_path / "second" / "web.log").read_text()
    assert len(child_pids(first.processes.running["web"].pid)) == 2  # the first one serves on, untouched


def test_a_unix_socket_is_bound_once_and_shared(environment, tmp_path):
    # Each worker binding the path would remove the socket file of the one before it.
    path = tmp_path / "web.sock"
    processes = Processes({**os.environ, **environment, "GUNICORN_CMD_ARGS": f"--bind unix:{path}"}, tmp_path)
    processes.start("web", "-m", "gunicorn", "-c", "config/gunicorn.py")
    try:
        status = wait_until(lambda: path.exists() and unix_get(path, "/healthz"), what="gunicorn on a Unix socket")
        log = (tmp_path / "web.log").read_text()
    finally:
        processes.stop()

    assert status.startswith(b"HTTP/1.1 200")
    assert f"Listening at: unix:{path}" in log  # gunicorn's master holds it (none per worker)
    assert "SO_REUSEPORT" not in log


def test_two_servers_on_one_machine_open_no_control_socket(start_service, tmp_path):
    # gunicorn's default control socket is one path per user: a second instance replaced the
    # first one's, and the first to stop removed the other's.
    runtime, home = tmp_path / "runtime", tmp_path / "home"
    runtime.mkdir()
    home.mkdir()
    user = {"XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)}
    first = start_service(workers=0, extra=user)
    second = start_service(workers=0, extra=user)

    assert ready(first.url) and ready(second.url)
    assert list(runtime.iterdir()) == [] and list(home.iterdir()) == []
    assert "Control socket" not in first.processes.output() + second.processes.output()


def test_gunicorn_control_socket_gives_each_server_its_own(start_service, tmp_path):
    first_path, second_path = tmp_path / "first.ctl", tmp_path / "second.ctl"
    first = start_service(workers=0, extra={"GUNICORN_CONTROL_SOCKET": str(first_path)})
    second = start_service(workers=0, extra={"GUNICORN_CONTROL_SOCKET": str(second_path)})
    wait_until(lambda: first_path.is_socket() and second_path.is_socket(), what="both control sockets")

    second.processes.stop()

    assert not second_path.exists()
    assert control_status(first_path)["pid"] == first.processes.running["web"].pid  # untouched by the second


def control_status(path) -> dict:
    """What gunicorn's control socket at `path` answers to `show stats`."""
    from gunicorn.ctl.client import ControlClient

    with ControlClient(str(path), timeout=5) as client:
        return client.send_command("show stats")


def gunicorn_workers(master: int) -> list[int]:
    """The two workers of the gunicorn whose master is `master`, once both are forked."""
    return wait_until(lambda: (pids := child_pids(master)) and len(pids) == 2 and pids, what="two gunicorn workers")


def unix_get(path, target: str) -> bytes:
    """The status line of a GET over the Unix socket at `path` (b"" while nobody answers)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        try:
            client.connect(str(path))
            client.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            return client.recv(4096).partition(b"\r\n")[0]
        except OSError:
            return b""
