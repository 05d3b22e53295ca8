"""Logging for every process: one line per event, to stderr, as Heroku collects it.

Each line carries what it belongs to (`log_context`): the request id of a web request, the
job id and connection id of a job. `LOG_FORMAT=json` writes one JSON object per line (for a
log drain that parses them); plain text is the default. Messages never carry secrets: the
HTTP libraries that would log URLs with keys are kept quiet.
"""

import contextlib
import contextvars
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
FORMATS = ("text", "json")
# These libraries log full URLs at DEBUG, and store URLs can carry keys or OAuth signatures.
QUIET_LOGGERS = ("urllib3", "requests_oauthlib", "oauthlib")
# What a line may belong to, in the order text lines show it.
CONTEXT_FIELDS = ("request_id", "job_id", "connection_id")

# Never mutated: each `log_context` sets a new mapping.
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("storelink_log_context", default=MappingProxyType({}))


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Within the block, every log line of this thread (or task) carries `fields` (None ones are left out)."""
    token = _context.set({**_context.get(), **{name: value for name, value in fields.items() if value is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    """The fields log lines carry here and now."""
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Puts the current `log_context` on every record (as `record.context_fields` and, for text, `record.context`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get()
        record.context_fields = fields
        record.context = "".join(f" {name}={fields[name]}" for name in CONTEXT_FIELDS if name in fields)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context_fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_format(value: str | None = None) -> str:
    """LOG_FORMAT, checked: "text" or "json"."""
    chosen = (value if value is not None else os.environ.get("LOG_FORMAT", "")).strip().lower() or "text"
    if chosen not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be text or json, not {chosen!r}")
    return chosen


def make_handler(format_name: str) -> logging.Handler:
    """A stderr handler writing `format_name` lines with the context."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if format_name == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str | None = None) -> None:
    """Log at LOG_LEVEL (INFO by default) in LOG_FORMAT; never let HTTP libraries log request URLs.

    Like `logging.basicConfig`, it leaves a root logger that already has handlers (a test
    runner's) as it is. RQ adds no handler of its own beside ours, so its lines take our format.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(make_handler(log_format()))
        root.setLevel((level or os.environ.get("LOG_LEVEL", "INFO")).upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def log_refusal(logger, error) -> int:
    """Log a ConfigError as one "Refusing to start" line per problem; answer the exit code (1).

    `logger` is a logging.Logger or anything with its `critical` (gunicorn's server log).
    """
    for problem in error.problems:
        logger.critical("Refusing to start: %s", problem)
    return 1
