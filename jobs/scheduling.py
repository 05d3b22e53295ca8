"""Start sync runs (from the API and from the clock) and find the ones that are due.

A run is a row first, then a job: the row's partial unique index allows one queued or
running run per connection and entity, so concurrent clocks or clicks cannot start two.
"""

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq.job import Job
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connections.schedules import DEFAULT_FULL_EVERY_MINUTES
from db.ids import is_public_id, new_public_id
from db.models import ACTIVE_RUN_STATES, RUN_FAILED, RUN_QUEUED, RUN_RUNNING, Connection, Schedule, SyncRun
from db.types import utcnow
from jobs.counters import count_poll_run_on_commit
from jobs.queues import CONNECTION_META, POLLS_QUEUE, RESULT_TTL_SECONDS, queue

log = logging.getLogger(__name__)

# One poll may page through a big store; RQ kills it after this.
POLL_JOB_TIMEOUT_SECONDS = 3 * 3600
# A queued run whose job never started (Redis lost it) is given up after this.
QUEUED_RUN_TIMEOUT = timedelta(hours=1)
# A running run that has not reported progress for this long died with its worker.
RUNNING_RUN_SILENCE = timedelta(minutes=30)
RUN_SYNC = "jobs.polls.run_sync"
# Bytes of randomness in a sync run's public id (it appears in URLs): 96 bits.
RUN_ID_BYTES = 12


def change_schedule(
    schedule: Schedule,
    *,
    interval_minutes: int,
    active: bool,
    full_every_minutes: int | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Set the interval, whether it polls and (when given) how often a poll is a full pass.

    The next poll follows from the last one (overdue: now).
    """
    now = now or utcnow()
    schedule.interval_minutes = interval_minutes
    schedule.active = active
    schedule.full_every_minutes = full_every_minutes or schedule.full_every_minutes or DEFAULT_FULL_EVERY_MINUTES
    if schedule.last_poll_at is None:
        schedule.next_poll_at = now
    else:
        schedule.next_poll_at = max(now, schedule.last_poll_at + timedelta(minutes=interval_minutes))
    return schedule


def full_pass_due(schedule: Schedule, now: datetime) -> bool:
    """Whether a scheduled poll starting `now` should be a full pass.

    It should when waiting for the next poll would leave more than `full_every_minutes`
    since the last full pass began (or there never was one): full passes then come at
    least that often, and with every poll when polls are further apart. A failed full
    pass leaves `last_full_at` as it was, so the next poll tries again.
    """
    if schedule.last_full_at is None:
        return True
    next_poll = now + timedelta(minutes=schedule.interval_minutes)
    return schedule.last_full_at + timedelta(minutes=schedule.full_every_minutes) <= next_poll


def start_sync(session: Session, redis: Redis, connection: Connection, entity: str, *, full: bool, trigger: str) -> tuple[SyncRun, bool]:
    """Queue a poll of `entity`; answer the run and whether it is new (else the active one)."""
    run = SyncRun(
        public_id=new_public_id(RUN_ID_BYTES),
        connection_id=connection.id,
        entity=entity,
        full=full,
        trigger=trigger,
        status=RUN_QUEUED,
    )
    try:
        # A savepoint: losing the race to another clock undoes only this insert.
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return active_run(session, connection.id, entity), False
    session.commit()
    try:
        job = enqueue_poll(redis, run, connection.public_id)
    except Exception:
        run.status, run.error, run.finished_at = RUN_FAILED, "could not be queued: Redis unavailable", utcnow()
        session.commit()
        raise
    run.job_id = job.id
    session.commit()
    return run, True


def enqueue_poll(
    redis: Redis, run: SyncRun, connection_id: str, *, attempt: int = 1, at: datetime | None = None, job_id: str | None = None
) -> Job:
    """Queue the job that runs a sync run now, or (`attempt` > 1) resumes it `at` a later time."""
    polls = queue(POLLS_QUEUE, redis)
    args = (run.public_id,) if attempt == 1 else (run.public_id, attempt)
    options = {
        "job_id": job_id,
        "job_timeout": POLL_JOB_TIMEOUT_SECONDS,
        "result_ttl": RESULT_TTL_SECONDS,
        # Failed jobs are matched to their connection by the description (jobs.failures), log lines by the meta.
        "description": f"{'full ' if run.full else ''}poll of {run.entity} for {connection_id}",
        "meta": {CONNECTION_META: connection_id},
    }
    if at is not None:
        return polls.enqueue_at(at, RUN_SYNC, *args, **options)
    return polls.enqueue(RUN_SYNC, *args, **options)


def active_run(session: Session, connection_id: int, entity: str) -> SyncRun | None:
    """The queued or running run of a connection's entity, if any."""
    return session.scalar(
        select(SyncRun).where(
            SyncRun.connection_id == connection_id, SyncRun.entity == entity, SyncRun.status.in_(ACTIVE_RUN_STATES)
        )
    )


def find_run(session: Session, connection_id: int, run_id: str) -> SyncRun | None:
    """A connection's sync run by its public id."""
    if not is_public_id(run_id):
        return None
    return session.scalar(select(SyncRun).where(SyncRun.connection_id == connection_id, SyncRun.public_id == run_id))


def enqueue_due_polls(session: Session, redis: Redis, now: datetime | None = None) -> list[SyncRun]:
    """Start every poll whose time has come; answer the runs started."""
    now = now or utcnow()
    due = session.execute(
        select(Schedule, Connection)
        .join(Connection, Schedule.connection_id == Connection.id)
        .where(
            Schedule.active.is_(True),
            Schedule.next_poll_at <= now,
            Connection.deleted_at.is_(None),
            Connection.needs_attention.is_(None),
        )
        .order_by(Schedule.next_poll_at)
    ).all()
    started = []
    for schedule, connection in due:
        # Committed with the run, so a clock that ticks next sees the poll as not due.
        schedule.next_poll_at = now + timedelta(minutes=schedule.interval_minutes)
        full = full_pass_due(schedule, now)
        run, new = start_sync(session, redis, connection, schedule.entity, full=full, trigger="schedule")
        if new:
            started.append(run)
    session.commit()
    return started


def fail_abandoned_runs(session: Session, now: datetime | None = None, redis: Redis | None = None) -> int:
    """Mark runs whose job was lost or whose worker died as failed, so polling can go on (counted on `redis`)."""
    now = now or utcnow()
    result = session.execute(
        update(SyncRun)
        .where(
            ((SyncRun.status == RUN_QUEUED) & (SyncRun.created_at < now - QUEUED_RUN_TIMEOUT))
            | ((SyncRun.status == RUN_RUNNING) & (SyncRun.updated_at < now - RUNNING_RUN_SILENCE))
        )
        .values(status=RUN_FAILED, error="abandoned: the job stopped reporting (worker lost or queue emptied)", finished_at=now)
        .returning(SyncRun.entity)
    )
    entities = result.scalars().all()
    if entities and redis is not None:
        for entity in entities:  # counted as failed runs; how long they ran is not known
            count_poll_run_on_commit(session, redis, entity, RUN_FAILED, None)
    session.commit()
    return len(entities)
