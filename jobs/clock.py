"""`python -m jobs.clock`: every minute (CLOCK_TICK_SECONDS), queue the polls that are due;
every few seconds, a drain job for events no live job is storing, and a notification to the
back office when the change feed moved (jobs.notify).

Running two clocks by mistake is harmless: a connection's entity can have only one queued
or running poll (a unique index in the database decides).
"""

import logging
import signal
import sys
import threading
import time

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from config import ConfigError, get_settings
from config.logging import configure_logging, log_refusal
from connections.keys import checked_settings
from db.session import reading, transaction
from jobs.buffer import SHARDS, EventBuffer
from jobs.notify import queue_notifications
from jobs.queues import enqueue_drain, redis_for
from jobs.scheduling import enqueue_due_polls, fail_abandoned_runs
from jobs.spool import drain_spool

log = logging.getLogger(__name__)

# How often shards are checked for events no drain job is storing, whatever the tick: a
# batch left by a killed drain job is queued again within its lock's TTL (10 s) plus this.
DRAIN_CHECK_SECONDS = 5.0


def tick() -> int:
    """One round: give up abandoned runs, start due polls; answer how many started."""
    settings = get_settings()
    redis = redis_for(settings)
    buffer = EventBuffer(redis)
    with transaction(settings.database_url) as session:
        drain_spool(session, buffer)
        queue_missing_drains(buffer, settings.event_retry_seconds)
        abandoned = fail_abandoned_runs(session, redis=redis)
        if abandoned:
            log.warning("%d abandoned sync runs marked failed", abandoned)
        started = enqueue_due_polls(session, redis)
    notify_back_office(settings, redis)
    for run in started:
        log.info("poll of %s queued (run %s)", run.entity, run.public_id)
    return len(started)


def check_drains() -> None:
    """Between ticks: queue the drain jobs that are missing, and the notifications that are due."""
    settings = get_settings()
    redis = redis_for(settings)
    queue_missing_drains(EventBuffer(redis), settings.event_retry_seconds)
    notify_back_office(settings, redis)


def notify_back_office(settings, redis) -> None:
    """Queue a notification for each endpoint the change feed moved past (it only reads: no write lock on SQLite)."""
    with reading(settings.database_url) as session:
        queue_notifications(settings, redis, session)


def queue_missing_drains(buffer: EventBuffer, retry_seconds: tuple[int, ...]) -> None:
    """Queue a drain job for every shard holding events that has none (lost, or never queued)."""
    for shard in range(SHARDS):
        if buffer.waiting(shard) and buffer.mark_drain_queued(shard):
            log.info("events waiting in shard %d: drain queued", shard)
            enqueue_drain(buffer.redis, shard, retry_seconds=retry_seconds)


def main() -> int:
    """Tick every minute until SIGTERM or SIGINT."""
    configure_logging()
    try:
        tick_seconds = checked_settings().clock_tick_seconds
    except ConfigError as error:
        return log_refusal(log, error)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    log.info("clock started: polls are checked every %g s, drains every %g s", tick_seconds, DRAIN_CHECK_SECONDS)
    next_tick = 0.0
    while not stopping.is_set():
        try:
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + tick_seconds
                tick()
            else:
                check_drains()
        except (RedisError, SQLAlchemyError):
            # Keep ticking: the due polls are still due next minute.
            log.exception("clock tick failed; trying again next tick")
        stopping.wait(min(tick_seconds, DRAIN_CHECK_SECONDS))
    log.info("clock stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
