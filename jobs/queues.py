"""Queue names, retry policy and the enqueue calls shared by web, worker and clock.

Jobs are enqueued by dotted name, so the web process never imports job code.
"""

import functools
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

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


@functools.cache
def redis_connection(url: str) -> Redis:
    """One Redis client (with its pool) per URL per process; `rediss://` works as Heroku gives it."""
    if url.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate: encrypt, do not verify the name.
        return Redis.from_url(url, ssl_cert_reqs=None, health_check_interval=30)
    return Redis.from_url(url, health_check_interval=30, socket_timeout=10, socket_connect_timeout=5)


def queue(name: str, connection: Redis) -> Queue:
    """An RQ queue with the project's serializer."""
    return Queue(name, connection=connection, serializer=SERIALIZER)


def event_retry(retry_seconds: tuple[int, ...]) -> Retry:
    """Retry an event job that failed for a passing reason after each of these delays."""
    return Retry(max=len(retry_seconds), interval=list(retry_seconds))


# Job functions, by dotted name: the web process does not import job code.
INGEST_EVENT = "jobs.events.ingest_event"
DRAIN_EVENTS = "jobs.events.drain_events"
# A drain job stores batch after batch until its shard is empty.
DRAIN_JOB_TIMEOUT_SECONDS = 900


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
    return queue(EVENTS_QUEUE, redis).enqueue(
        INGEST_EVENT,
        connection_id,
        resource,
        event,
        payload,
        received_at,
        retry=event_retry(retry_seconds),
        job_timeout=EVENT_JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        description=f"{resource}.{event} {payload.get('id')} for {connection_id}",
    )


def enqueue_drain(redis: Redis, shard: int, *, retry_seconds: tuple[int, ...]):
    """Queue a job that stores the buffered events of one shard."""
    return queue(EVENTS_QUEUE, redis).enqueue(
        DRAIN_EVENTS,
        shard,
        retry=event_retry(retry_seconds),
        job_timeout=DRAIN_JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        description=f"store buffered events of shard {shard}",
    )


# A variable product's refresh from the store after its variations changed (jobs.parents).
REFRESH_PARENT = "jobs.parents.refresh_parent"
# Variations stored within this many seconds of the first share one fetch of their parent.
PARENT_REFRESH_DELAY_SECONDS = 10
# Marks a parent whose refresh is scheduled; it outlives the delay by far, and only a lost job lets it expire.
PARENT_REFRESH_MARK_SECONDS = 600
PARENT_REFRESH_KEY = "storelink:parent-refresh:{connection_id}:{parent}"


def parent_refresh_key(connection_id: str, parent_external_id: str) -> str:
    """The Redis key marking that a refresh of this parent product is scheduled."""
    return PARENT_REFRESH_KEY.format(connection_id=connection_id, parent=parent_external_id)


def schedule_parent_refreshes(redis: Redis, parents: set[tuple[str, str]], *, retry_seconds: tuple[int, ...]) -> int:
    """Schedule a refresh of each (connection, parent product) that has none scheduled; answer how many were."""
    ordered = sorted(parents)
    if not ordered:
        return 0
    with redis.pipeline(transaction=False) as pipe:
        for connection_id, parent in ordered:
            pipe.set(parent_refresh_key(connection_id, parent), 1, nx=True, ex=PARENT_REFRESH_MARK_SECONDS)
        marked = pipe.execute()
    events = queue(EVENTS_QUEUE, redis)
    scheduled = 0
    for (connection_id, parent), first in zip(ordered, marked, strict=True):
        if first:
            events.enqueue_in(
                timedelta(seconds=PARENT_REFRESH_DELAY_SECONDS),
                REFRESH_PARENT,
                connection_id,
                parent,
                retry=event_retry(retry_seconds),
                job_timeout=EVENT_JOB_TIMEOUT_SECONDS,
                result_ttl=RESULT_TTL_SECONDS,
                description=f"refresh product {parent} for {connection_id}",
            )
            scheduled += 1
    return scheduled
