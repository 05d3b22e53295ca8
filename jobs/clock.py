"""`python -m jobs.clock`: every minute (CLOCK_TICK_SECONDS), queue the polls that are due.

Running two clocks by mistake is harmless: a connection's entity can have only one queued
or running poll (a unique index in the database decides).
"""

import logging
import signal
import sys
import threading

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from config import ConfigError, get_settings
from config.logging import configure_logging
from connections.keys import checked_settings
from db.session import transaction
from jobs.buffer import SHARDS, EventBuffer
from jobs.queues import enqueue_drain, redis_for
from jobs.scheduling import enqueue_due_polls, fail_abandoned_runs
from jobs.spool import drain_spool

log = logging.getLogger(__name__)

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
    for run in started:
        log.info("poll of %s queued (run %s)", run.entity, run.public_id)
    return len(started)


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
        log.critical("Refusing to start: %s", error)
        return 1
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    log.info("clock started: polls are checked every %g s", tick_seconds)
    while not stopping.is_set():
        try:
            tick()
        except (RedisError, SQLAlchemyError):
            # Keep ticking: the due polls are still due next minute.
            log.exception("clock tick failed; trying again next tick")
        stopping.wait(tick_seconds)
    log.info("clock stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
