"""A poll that must wait for its store gives its worker back; a job queued for later resumes it.

A store that cannot be reached, is busy (429, 5xx) or does not answer in time is asked
again after 2, 4, 8, 16 and 32 s, or after its Retry-After (up to 5 minutes). Sleeping
through those waits would hold the worker, and with it every delivery queued behind the
poll (`bin/dev` runs one worker). Instead the run says what it waits for, a job is queued
for the end of the wait (the scheduler each worker runs moves it into the polls queue
then), and this job ends. The resumed job starts again from the run's cursor, which only
committed pages advance.
"""

import logging
import uuid
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from config import Settings
from db.models import RUN_RUNNING, Connection, SyncRun
from db.session import transaction
from db.types import utcnow
from jobs.queues import redis_for
from jobs.scheduling import enqueue_poll
from jobs.store_trouble import waiting_for
from stores.errors import RetryPolicy, StoreError

log = logging.getLogger(__name__)

# Attempts in a row without a stored page before a run fails, and the waits between them.
STORE_WAITS = RetryPolicy(attempts=6, base_delay=2.0, max_delay=120.0)


def resume_later(settings: Settings, run_id: str, attempt: int, pages_before: int, error: StoreError) -> dict | None:
    """Queue the run's next attempt for when the wait `error` calls for is over; None when waiting cannot help.

    `attempt` is this job's place in a row of failed attempts, and `pages_before` the run's
    pages when it started: a job that got further than the last one starts a new row.
    """
    with transaction(settings.database_url) as session:
        run = session.scalar(select(SyncRun).where(SyncRun.public_id == run_id))
        attempt = 1 if run.pages_done > pages_before else attempt
        delay = STORE_WAITS.delay(attempt, error)
        if delay is None:
            return None
        # RQ schedules by the whole second, rounding down: round up, so the wait is never shorter.
        resume_at = (utcnow() + timedelta(seconds=delay + 1)).replace(microsecond=0)
        waiting = waiting_for(error, attempt, STORE_WAITS.attempts - 1, delay, resume_at)
        # Written before the job is queued: a resumption that starts at once must not find it.
        run.error, run.job_id = waiting, uuid.uuid4().hex
        connection_id = session.scalar(select(Connection.public_id).where(Connection.id == run.connection_id))
    try:
        enqueue_poll(redis_for(settings), run, connection_id, attempt=attempt + 1, at=resume_at, job_id=run.job_id)
    except RedisError:
        log.exception("sync %s: its resumption could not be queued", run_id)
        return None
    log.warning("sync %s: %s", run_id, waiting)
    return {"status": RUN_RUNNING, "waiting": waiting}
