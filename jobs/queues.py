"""Queue names, retry policy and the enqueue calls shared by web, worker and clock.

Jobs are enqueued by dotted name, so the web process never imports job code.
"""

import functools
from collections.abc import Sequence
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from config import get_settings

# Webhook events go first: a store is waiting on nobody, but operators watch them arrive.
EVENTS_QUEUE = "storelink-events"
POLLS_QUEUE = "storelink-polls"
QUEUES = (EVENTS_QUEUE, POLLS_QUEUE)
# Job arguments are plain JSON, readable in Redis and by any RQ dashboard.
SERIALIZER = JSONSerializer

# How long a finished job's result stays in Redis; failed jobs stay a year (RQ's default).
RESULT_TTL_SECONDS = 3600
# How long one event job may run before RQ kills it.
EVENT_JOB_TIMEOUT_SECONDS = 60


# Every Redis connection gives up on a Redis that does not answer: connecting after this long,
REDIS_CONNECT_TIMEOUT_SECONDS = 2.0
# and waiting for a reply after this long in jobs and the clock (the RQ worker's own
# connection waits longer, for its blocking dequeue: RQ sets that on a connection of its own)
JOB_REDIS_TIMEOUT_SECONDS = 10.0
# or in the web process, whose request threads must not be held: the receiver then spools.
WEB_REDIS_TIMEOUT_SECONDS = 2.0


def new_redis(url: str, *, verify_tls: bool = True, timeout: float = JOB_REDIS_TIMEOUT_SECONDS) -> Redis:
    """A new Redis client (with its pool). `rediss://` verifies the server's certificate
    unless `verify_tls` is off (Heroku Redis presents a self-signed one: REDIS_TLS_VERIFY=0)."""
    options: dict = {
        "health_check_interval": 30,
        "socket_timeout": timeout,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    }
    if url.startswith("rediss://") and not verify_tls:
        options.update(ssl_cert_reqs="none", ssl_check_hostname=False)
    return Redis.from_url(url, **options)


@functools.cache
def redis_connection(url: str, *, verify_tls: bool = True, timeout: float = JOB_REDIS_TIMEOUT_SECONDS) -> Redis:
    """One Redis client per URL and options per process (see `new_redis`)."""
    return new_redis(url, verify_tls=verify_tls, timeout=timeout)


def redis_for(settings, *, timeout: float = JOB_REDIS_TIMEOUT_SECONDS) -> Redis:
    """The process's Redis client as `settings` describe it."""
    return redis_connection(settings.redis_url, verify_tls=settings.redis_tls_verify, timeout=timeout)


class _Queue(Queue):
    """RQ's queue, but a failed job (its arguments can hold a customer's address) expires."""

    failed_job_ttl_seconds: int | None = None

    def create_job(self, *args, failure_ttl: int | None = None, **kwargs):
        return super().create_job(*args, failure_ttl=failure_ttl or self.failed_job_ttl_seconds, **kwargs)


def queue(name: str, connection: Redis) -> Queue:
    """An RQ queue with the project's serializer, whose failed jobs expire after FAILED_JOB_TTL_DAYS."""
    made = _Queue(name, connection=connection, serializer=SERIALIZER)
    made.failed_job_ttl_seconds = get_settings().failed_job_ttl_days * 24 * 3600
    return made


def event_retry(retry_seconds: Sequence[int]) -> Retry:
    """Retry a job on the events queue that failed for a passing reason after each of these delays."""
    return Retry(max=len(retry_seconds), interval=list(retry_seconds))


# Job functions, by dotted name: the web process does not import job code.
INGEST_EVENT = "jobs.events.ingest_event"
DRAIN_EVENTS = "jobs.events.drain_events"
# A drain job stores batch after batch until its shard is empty.
DRAIN_JOB_TIMEOUT_SECONDS = 900


def _enqueue(
    redis: Redis,
    function: str,
    *args,
    retry_seconds: Sequence[int],
    timeout: int,
    description: str,
    delay_seconds: int = 0,
):
    """Queue `function(*args)` on the events queue (in `delay_seconds`), retried after each of
    `retry_seconds`; answer the RQ job."""
    events = queue(EVENTS_QUEUE, redis)
    options = {
        "retry": event_retry(retry_seconds),
        "job_timeout": timeout,
        "result_ttl": RESULT_TTL_SECONDS,
        "description": description,
    }
    if delay_seconds:
        return events.enqueue_in(timedelta(seconds=delay_seconds), function, *args, **options)
    return events.enqueue(function, *args, **options)


def enqueue_event(
    redis: Redis,
    connection_id: str,
    resource: str,
    event: str,
    payload: dict,
    received_at: str,
    *,
    retry_seconds: tuple[int, ...],
):
    """Queue one delivery for the workers; answer the RQ job."""
    return _enqueue(
        redis,
        INGEST_EVENT,
        connection_id,
        resource,
        event,
        payload,
        received_at,
        retry_seconds=retry_seconds,
        timeout=EVENT_JOB_TIMEOUT_SECONDS,
        description=f"{resource}.{event} {payload.get('id')} for {connection_id}",
    )


def enqueue_drain(redis: Redis, shard: int, *, retry_seconds: tuple[int, ...]):
    """Queue a job that stores the buffered events of one shard."""
    return _enqueue(
        redis,
        DRAIN_EVENTS,
        shard,
        retry_seconds=retry_seconds,
        timeout=DRAIN_JOB_TIMEOUT_SECONDS,
        description=f"store buffered events of shard {shard}",
    )


REFRESH_RECORDS = "jobs.refresh.refresh_records"
REFRESH_PENDING_KEY = "storelink:refresh:{connection_id}:{resource}:{external_id}"
# A read that never ran (its job lost) stops holding back new requests after this long.
REFRESH_PENDING_TTL_SECONDS = 900
# A store that cannot answer now is asked again later; the job gives its worker back meanwhile.
REFRESH_RETRY_SECONDS = [10, 60, 300, 900, 3600]
REFRESH_JOB_TIMEOUT_SECONDS = 300
# A variable product is read again this long after a variation changed it (a store may send no
# webhook for the parent): the variations stored meanwhile share that one read.
PARENT_REFRESH_DELAY_SECONDS = 10


def enqueue_refresh(
    redis: Redis, connection_id: str, resource: str, external_ids: list[str], *, delay_seconds: int = 0
) -> int:
    """Queue a read of these records from the store (in `delay_seconds`), but for those a queued
    read already covers; answer how many."""
    wanted = list(dict.fromkeys(external_ids))
    # One round trip for a burst: each id is marked pending unless a queued read already has it.
    with redis.pipeline(transaction=False) as pipe:
        for external_id in wanted:
            key = REFRESH_PENDING_KEY.format(connection_id=connection_id, resource=resource, external_id=external_id)
            pipe.set(key, 1, nx=True, ex=REFRESH_PENDING_TTL_SECONDS)
        marked = pipe.execute()
    waiting = [external_id for external_id, new in zip(wanted, marked, strict=True) if new]
    if waiting:
        _enqueue(
            redis,
            REFRESH_RECORDS,
            connection_id,
            resource,
            waiting,
            retry_seconds=REFRESH_RETRY_SECONDS,
            timeout=REFRESH_JOB_TIMEOUT_SECONDS,
            description=f"ask the store about {resource} {', '.join(waiting[:5])} of {connection_id}",
            delay_seconds=delay_seconds,
        )
    return len(waiting)


REGISTER_WEBHOOKS = "jobs.registration.register_connection_webhooks"
# A store that could not register every webhook is asked again after each of these delays;
# after the last, the connection's polls repair what is still missing.
REGISTRATION_RETRY_SECONDS = [10, 60, 300, 900]


def enqueue_registration(redis: Redis, connection_id: str, *, job_timeout: int):
    """Queue the registration of a new connection's webhooks on its store."""
    return _enqueue(
        redis,
        REGISTER_WEBHOOKS,
        connection_id,
        retry_seconds=REGISTRATION_RETRY_SECONDS,
        timeout=job_timeout,
        description=f"register the webhooks of {connection_id} on its store",
    )


# Jobs whose first argument is a connection's public id; others may name theirs in the job's meta.
_CONNECTION_FIRST = frozenset({INGEST_EVENT, REFRESH_RECORDS, REGISTER_WEBHOOKS})
CONNECTION_META = "connection_id"


def connection_of(job) -> str | None:
    """The connection a job works for, when it has one (a drain stores events of many)."""
    if job.func_name in _CONNECTION_FIRST and job.args:
        return str(job.args[0])
    return job.meta.get(CONNECTION_META)
