"""Counters every process adds to, kept in one Redis hash, read by `GET /metrics`.

Why Redis and not prometheus_client's multiprocess mode: that mode keeps each process's
counts in files on its own machine, so it is right across one server's gunicorn workers
but not across dynos (Heroku's router sends a scrape to any web dyno, each with other
counts), nor for what workers and the clock count, and its files must be wiped at each
start. A Redis hash is one place for every process on every machine; each count is a
HINCRBY folded into a call the process makes anyway where it can (the receiver's push
script counts queued and duplicate deliveries, and carries the other outcomes the receiver
counted in its process meanwhile, `webhooks.tally`; a drain's `done` counts stored events), and
everything that is state rather than an event (buffer depth, failed jobs, webhooks, the
spool) is read at scrape time instead of counted. The counts live as long as Redis keeps
its data; Prometheus takes a counter that starts again from zero as a reset.
"""

import logging
import math
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

COUNTERS_KEY = "storelink:metrics"
# Delivery outcomes counted away from the reply: the receiver's push script (`jobs.buffer`)
# counts queued and duplicate deliveries, the spool's drain the spooled ones. Any other
# outcome is the reply's own name for itself (`webhooks.wsgi`).
OUTCOME_QUEUED, OUTCOME_DUPLICATE, OUTCOME_SPOOLED = "queued", "duplicate", "spooled"
# Hash fields.
DELIVERIES_FIELD = "deliveries:{outcome}"
EVENTS_STORED_FIELD = "events-stored"
DRAIN_LAG_FIELD = "drain-lag-seconds:{shard}"
POLL_RUNS_FIELD = "poll-runs:{entity}:{outcome}"
POLL_SECONDS_SUM_FIELD = "poll-seconds-sum:{entity}:{outcome}"
POLL_SECONDS_BUCKET_FIELD = "poll-seconds-bucket:{entity}:{outcome}:{le}"
# Upper bounds of the poll duration histogram's buckets, in seconds (a poll takes seconds to an hour).
POLL_SECONDS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, math.inf)


def count_delivery(redis: Redis, outcome: str, deliveries: int = 1) -> None:
    """Count deliveries answered with `outcome`; a count Redis cannot take is dropped (logged), never the delivery."""
    try:
        redis.hincrby(COUNTERS_KEY, DELIVERIES_FIELD.format(outcome=outcome), deliveries)
    except RedisError as error:
        log.warning("delivery outcome %s not counted (Redis unavailable: %s)", outcome, type(error).__name__)


def count_drained(pipe, shard: int, stored: int, oldest_received_at: datetime | None, now: datetime) -> None:
    """Add to `pipe` (the drain's own call): `stored` events stored, and the shard's drain lag.

    The lag is how long the batch's oldest event waited between its receipt and its storing.
    """
    pipe.hincrby(COUNTERS_KEY, EVENTS_STORED_FIELD, stored)
    if oldest_received_at is not None:
        lag = max(0.0, (now - oldest_received_at).total_seconds())
        pipe.hset(COUNTERS_KEY, DRAIN_LAG_FIELD.format(shard=shard), f"{lag:.3f}")


def count_poll_run(redis: Redis, entity: str, outcome: str, seconds: float | None) -> None:
    """Count one finished poll of `entity` (succeeded, failed), and how long it ran (None: it never started)."""
    seconds = max(0.0, seconds or 0.0)
    with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(COUNTERS_KEY, POLL_RUNS_FIELD.format(entity=entity, outcome=outcome), 1)
        pipe.hincrbyfloat(COUNTERS_KEY, POLL_SECONDS_SUM_FIELD.format(entity=entity, outcome=outcome), seconds)
        for le in POLL_SECONDS_BUCKETS:
            if seconds <= le:
                field = POLL_SECONDS_BUCKET_FIELD.format(entity=entity, outcome=outcome, le=bucket_label(le))
                pipe.hincrby(COUNTERS_KEY, field, 1)
        pipe.execute()


def count_poll_run_on_commit(session: Session, redis: Redis, entity: str, outcome: str, seconds: float | None) -> None:
    """Count a poll's end once `session` commits it (a run whose end is rolled back is not counted)."""

    def count(_session) -> None:
        try:
            count_poll_run(redis, entity, outcome, seconds)
        except RedisError as error:
            log.warning("poll run not counted (Redis unavailable: %s)", type(error).__name__)

    event.listen(session, "after_commit", count, once=True)


def bucket_label(le: float) -> str:
    """A bucket's bound as Prometheus writes it (`+Inf`)."""
    return "+Inf" if math.isinf(le) else repr(le)


def read_counters(redis: Redis) -> dict[str, str]:
    """Every count, by field."""
    return {key.decode(): value.decode() for key, value in redis.hgetall(COUNTERS_KEY).items()}
