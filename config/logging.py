"""Logging for every process: one line per event, to stderr, as Heroku collects it."""

import logging
import os

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# These libraries log full URLs at DEBUG, and store URLs can carry keys or OAuth signatures.
QUIET_LOGGERS = ("urllib3", "requests_oauthlib", "oauthlib")


def configure_logging(level: str | None = None) -> None:
    """Log at LOG_LEVEL (INFO by default); never let HTTP libraries log request URLs."""
    logging.basicConfig(level=(level or os.environ.get("LOG_LEVEL", "INFO")).upper(), format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
