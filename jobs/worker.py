"""`python -m jobs.worker`: the RQ worker for events and polls, with RQ's scheduler for retries."""

import importlib
import logging
import sys

from rq.job_lifecycle import call_exception_handlers
from rq.worker import HerokuWorker

from config import ConfigError
from config.logging import configure_logging, log_context, log_refusal
from connections.keys import checked_settings
from jobs.queues import QUEUES, SERIALIZER, connection_of, new_redis, queue
from jobs.store_trouble import ExpectedFailure

log = logging.getLogger(__name__)


class Worker(HerokuWorker):
    """RQ's Heroku worker whose jobs log with their job id (and connection id, where the job has one)."""

    def perform_job(self, job, *args, **kwargs) -> bool:
        with log_context(job_id=job.id, connection_id=connection_of(job)):
            return super().perform_job(job, *args, **kwargs)

    def handle_exception(self, job, *exc_info) -> None:
        """A failure the store caused is one warning line in plain words; anything else keeps its traceback."""
        if not isinstance(exc_info[1], ExpectedFailure):
            super().handle_exception(job, *exc_info)
            return
        log.warning("%s", exc_info[1])
        call_exception_handlers(self._exc_handlers, job, *exc_info)


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
        return log_refusal(log, error)
    # Imported here, once: every job runs in a forked work horse, which then starts with the
    # job code, SQLAlchemy and the mapper loaded instead of importing them per job.
    importlib.import_module("jobs.events")
    importlib.import_module("jobs.polls")
    importlib.import_module("jobs.refresh")
    importlib.import_module("jobs.notify")
    # A client of its own: RQ lengthens its read timeout for the blocking dequeue, which the
    # jobs' shared client (`redis_for`) must not inherit.
    connection = new_redis(settings.redis_url, verify_tls=settings.redis_tls_verify)
    worker = Worker([queue(name, connection) for name in QUEUES], connection=connection, serializer=SERIALIZER)
    # The scheduler moves retried jobs back into their queue when their delay is over.
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
