"""Queue names, retry policy and the enqueue calls shared by web, worker and clock.

Jobs are enqueued by dotted name, so the web process never imports job code.
"""

import functools

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


REFRESH_RECORDS = "jobs.refresh.refresh_records"
REFRESH_PENDING_KEY = "storelink:refresh:{connection_id}:{resource}:{external_id}"
# A read that never ran (its job lost) stops holding back new requests after this long.
REFRESH_PENDING_TTL_SECONDS = 900
# A store that cannot answer now is asked again later; the job gives its worker back meanwhile.
REFRESH_RETRY_SECONDS = [10, 60, 300, 900, 3600]
REFRESH_JOB_TIMEOUT_SECONDS = 300


def enqueue_refresh(redis: Redis, connection_id: str, resource: str, external_ids: list[str]) -> int:
    """Queue a read of these records from the store, but for those a queued read already covers; answer how many."""
    waiting = []
    for external_id in dict.fromkeys(external_ids):
        key = REFRESH_PENDING_KEY.format(connection_id=connection_id, resource=resource, external_id=external_id)
        if redis.set(key, 1, nx=True, ex=REFRESH_PENDING_TTL_SECONDS):
            waiting.append(external_id)
    if waiting:
        queue(EVENTS_QUEUE, redis).enqueue(
            REFRESH_RECORDS,
            connection_id,
            resource,
            waiting,
            retry=Retry(max=len(REFRESH_RETRY_SECONDS), interval=REFRESH_RETRY_SECONDS),
            job_timeout=REFRESH_JOB_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            description=f"ask the store about {resource} {', '.join(waiting[:5])} of {connection_id}",
        )
    return len(waiting)
