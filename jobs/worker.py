"""`python -m jobs.worker`: the RQ worker for events and polls, with RQ's scheduler for retries."""

import importlib
import logging
import sys

from rq.worker import HerokuWorker

from config import ConfigError
from config.logging import configure_logging
from connections.keys import checked_settings
from jobs.queues import QUEUES, SERIALIZER, queue, redis_connection

log = logging.getLogger(__name__)


def main() -> int:
    """Work until stopped.

    HerokuWorker, because Heroku sends SIGTERM on every deploy and SIGKILL 30 s later: the
    running job gets ShutDownImminentException after a few seconds instead of being killed
    mid-write, so event jobs are retried and polls resume from their cursor.
    """
    configure_logging()
    try:
        settings = checked_settings()
    except ConfigError as error:
        log.critical("Refusing to start: %s", error)
        return 1
    # Imported here, once: every job runs in a forked work horse, which then starts with the
    # job code, SQLAlchemy and the mapper loaded instead of importing them per job.
    importlib.import_module("jobs.events")
    importlib.import_module("jobs.polls")
    connection = redis_connection(settings.redis_url)
    worker = HerokuWorker([queue(name, connection) for name in QUEUES], connection=connection, serializer=SERIALIZER)
    # The scheduler moves retried jobs back into their queue when their delay is over.
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
