"""`python -m jobs.worker`: the RQ worker for events and polls, with RQ's scheduler for retries."""

import sys

from rq import Worker

from config import get_settings
from config.logging import configure_logging
from jobs.queues import QUEUES, SERIALIZER, queue, redis_connection


def main() -> int:
    """Work until stopped; SIGTERM lets the current job finish first (a warm shutdown)."""
    configure_logging()
    connection = redis_connection(get_settings().redis_url)
    worker = Worker([queue(name, connection) for name in QUEUES], connection=connection, serializer=SERIALIZER)
    # The scheduler moves retried jobs back into their queue when their delay is over.
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
