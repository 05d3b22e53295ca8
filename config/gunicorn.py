"""gunicorn settings for the `web` process (Procfile: gunicorn -c config/gunicorn.py)."""

import errno
import logging
import os
import socket
import sys

from config import ConfigError, configuration_problems
from config.logging import configure_logging, log_format, log_refusal
from config.variables import whole_numbers

# gunicorn's numbers, read as the settings read theirs. A malformed one, or any problem of the
# settings, ends the master here with one line each, before it binds anything. (A malformed
# WEB_CONCURRENCY never gets here: gunicorn reads it for its own default as it is imported.)
NUMBERS, _malformed = whole_numbers(os.environ, {"WEB_CONCURRENCY": 2, "GUNICORN_THREADS": 8, "GUNICORN_TIMEOUT": 120})
_problems = _malformed + configuration_problems()
if _problems:
    configure_logging()
    sys.exit(log_refusal(logging.getLogger("gunicorn.error"), ConfigError(*_problems)))

# HOST: bin/dev listens on 127.0.0.1 only; a platform (Heroku) routes to any address.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '5000')}"
# Threads let a request that waits on a store (verification, webhook registration) leave
# room for the store's ping to the receiver, which arrives while we wait.
workers = NUMBERS["WEB_CONCURRENCY"]
# gthread, except that a request gets a thread only once it has wholly arrived: slow or stalled
# clients cost a socket, not a thread (config/gunicorn_worker.py).
worker_class = "config.gunicorn_worker.WholeRequestWorker"
threads = NUMBERS["GUNICORN_THREADS"]
# Verification and webhook registration talk to slow stores: give them time.
timeout = NUMBERS["GUNICORN_TIMEOUT"]
graceful_timeout = 25  # Heroku sends SIGKILL 30 s after SIGTERM
keepalive = 5
accesslog = "-"
# The access log names the path only; webhook paths carry no secrets, query strings are dropped.
# The request id is the one the response carries (web.request_ids).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
if log_format() == "json":
    # gunicorn's own lines (start-up, workers, access) as JSON objects too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
        "filters": {"context": {"()": "config.logging.ContextFilter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"], "stream": "ext://sys.stderr"},
        },
        "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
wsgi_app = "web:create_app()"
# gunicorn 25+ opens a control socket for `gunicornc` at one path per user ($XDG_RUNTIME_DIR
# or ~/.gunicorn/gunicorn.ctl): a second instance on the machine replaced the first one's, and
# whichever stopped first removed the other's. Storelink needs none: off, unless
# GUNICORN_CONTROL_SOCKET names a path of this instance's own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads incoming
# connections across them. On one shared socket, whichever worker wakes first accepts, and a
# kept-alive connection stays with the worker that accepted it: under a burst of connections
# one worker was seen holding 30 of 32 while the other idled, and the receiver's p99 followed
# the busier worker (the figures: docs/PERFORMANCE.md, from `python -m bench --only ingest`).
# GUNICORN_REUSE_PORT=0 keeps gunicorn's one shared socket, for a socket handed over rather
# than bound (systemd socket activation, gunicorn's USR2 re-exec, which SO_REUSEPORT breaks).
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") != "0"


def on_starting(server) -> None:
    """Before any worker binds: keep SO_REUSEPORT to TCP ports nobody else listens on.

    With SO_REUSEPORT a second server on a taken port would not fail but silently share its
    connections (a forgotten `bin/dev` answering half the requests with old code): refuse,
    as gunicorn does without it. A Unix socket is a file each worker would replace with its
    own, and port 0 would give every worker a port of its own: those keep one shared socket.
    """
    if not server.cfg.reuse_port:
        return
    addresses = server.cfg.address
    if not all(isinstance(address, tuple) and address[1] for address in addresses):
        server.cfg.set("reuse_port", False)
        return
    for host, port in addresses:
        if port_taken(host, port):
            server.log.error("Port %s on %s is in use by another process: stop it or set PORT.", port, host or "*")
            sys.exit(1)
    # gunicorn's own "Listening at" line names the master's sockets, which it now has none of.
    urls = ", ".join(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}" for host, port in addresses)
    server.log.info("Listening at: %s (a socket per worker, SO_REUSEPORT)", urls)


def when_ready(server) -> None:
    """Before any worker: build the app once, so a web process that cannot run refuses to start.

    Settings it cannot run with, or stored credentials that SECRET_KEY does not decrypt, end
    the master with one line naming the remedy (exit 1), rather than each worker failing to
    boot with a traceback. Each worker then builds its own app, as it would without this.
    """
    try:
        server.app.wsgi()
    except ConfigError as error:
        sys.exit(log_refusal(server.log, error))
    server.app.callable = None


def port_taken(host: str, port: int) -> bool:
    """Whether a socket already listens on (host, port): binding it without SO_REUSEPORT fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False
