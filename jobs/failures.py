"""Failed jobs in RQ's failed registries: which belong to a connection, why they failed, retry one.

The admin API's status and the console both read them here, so both say the same.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq.exceptions import InvalidJobOperation
from rq.job import Job
from rq.registry import FailedJobRegistry

from jobs.queues import EVENTS_QUEUE, POLLS_QUEUE, QUEUES, SERIALIZER, queue
from jobs.store_trouble import without_class_name

# Failed jobs examined per look; the registry can be large.
FAILED_JOBS_SCANNED = 500
FAILED_JOBS_SHOWN = 20
# A reason longer than this is cut: it is the last line of a traceback (a sentence and what to
# do, for a failure a store caused), not a log.
REASON_MAX_CHARS = 1000
FAILING_QUEUES = (EVENTS_QUEUE, POLLS_QUEUE)


@dataclass(frozen=True)
class FailedJob:
    """One job in a failed registry, as an operator needs to see it."""

    job_id: str
    queue: str
    description: str | None
    reason: str | None
    failed_at: datetime | None
    args: tuple

    def belongs_to(self, connection_id: str) -> bool:
        """Whether the job worked for that connection."""
        return _belongs_to(self.args, self.description, connection_id)


def failed_jobs(redis: Redis, connection_id: str | None = None, *, limit: int = FAILED_JOBS_SHOWN) -> list[FailedJob]:
    """Failed jobs (of one connection, if given), oldest failure first, at most `limit`."""
    found: list[FailedJob] = []
    for name in FAILING_QUEUES:
        registry = FailedJobRegistry(name, connection=redis, serializer=SERIALIZER)
        job_ids = registry.get_job_ids(0, FAILED_JOBS_SCANNED - 1)
        for job in Job.fetch_many(job_ids, connection=redis, serializer=SERIALIZER):
            if job is None:
                continue  # expired between the two reads
            failed = _describe(job, name)
            if connection_id is None or failed.belongs_to(connection_id):
                found.append(failed)
            if len(found) >= limit:
                return found
    return found


def failed_job_counts(redis: Redis, connection_ids: list[str]) -> dict[str, int]:
    """How many failed jobs each of `connection_ids` has (among those scanned)."""
    jobs = failed_jobs(redis, limit=FAILED_JOBS_SCANNED * len(FAILING_QUEUES))
    return {connection_id: sum(job.belongs_to(connection_id) for job in jobs) for connection_id in connection_ids}


def queued_counts(redis: Redis) -> dict[str, int]:
    """Jobs waiting in each queue."""
    return {name: queue(name, redis).count for name in QUEUES}


def retry_failed_job(redis: Redis, connection_id: str | None, job_id: str) -> bool:
    """Put a failed job (of the connection, when given) back in its queue; False if it is not (or no longer) failed."""
    job = _failed_job(redis, job_id, connection_id)
    if job is None:
        return False
    try:
        FailedJobRegistry(job.origin, connection=redis, serializer=SERIALIZER).requeue(job)
    except InvalidJobOperation:
        return False  # not in the registry: already retried, or it expired
    return True


def delete_failed_job(redis: Redis, job_id: str) -> bool:
    """Remove a failed job and its data (the delivery it held) for good; False if it is not (or no longer) failed."""
    job = _failed_job(redis, job_id, None)
    if job is None:
        return False
    registry = FailedJobRegistry(job.origin, connection=redis, serializer=SERIALIZER)
    if job.id not in registry:
        return False
    registry.remove(job, delete_job=True)
    return True


def _failed_job(redis: Redis, job_id: str, connection_id: str | None) -> Job | None:
    """The job, if it ran on a failing queue (and, `connection_id` given, worked for that connection)."""
    job = Job.fetch_many([job_id], connection=redis, serializer=SERIALIZER)[0]
    # Only a job of this connection may be retried from its page.
    if job is None or job.origin not in FAILING_QUEUES:
        return None
    if connection_id is not None and not _belongs_to(job.args, job.description, connection_id):
        return None
    return job


def _describe(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    return FailedJob(
        job_id=job.id,
        queue=queue_name,
        description=job.description,
        reason=_reason(result.exc_string if result else None),
        failed_at=_aware(job.ended_at),
        args=tuple(job.args or ()),
    )


def _belongs_to(args, description: str | None, connection_id: str) -> bool:
    # Event jobs take the connection id first; poll jobs name it in their description.
    return bool(args and args[0] == connection_id) or connection_id in (description or "")


def _aware(moment: datetime | None) -> datetime | None:
    # RQ keeps naive UTC datetimes.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _reason(text: str | None) -> str | None:
    """The traceback's last line; an expected failure's without its exception's name."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return without_class_name(lines[-1])[:REASON_MAX_CHARS] if lines else None
