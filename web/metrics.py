"""`GET /metrics`: Prometheus's text format, the same from whichever web process answers.

Counts of events come from the counters every process keeps in Redis (`jobs.counters`);
everything else is read at scrape time: the event buffer from Redis, failed jobs from RQ's
registries, webhooks and the spool from the database. Nothing stays per process (the
receiver's rare outcomes wait there at most a second: `webhooks.tally`), so gunicorn's
workers (and several web dynos) all answer the same. Redis and the database are
read apart: while one is away the other's figures are still given, and
`storelink_metrics_source_up` says which is missing. prometheus_client writes the format.
"""

import time
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, current_app
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from redis import Redis
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.auth import require_admin_token
from api.resources import get_redis, get_session, get_settings
from config import Settings
from db.models import Connection, SpooledDelivery, Webhook
from db.types import utcnow
from jobs.buffer import SHARDS, EventBuffer
from jobs.counters import (
    DELIVERIES_FIELD,
    DRAIN_LAG_FIELD,
    EVENTS_STORED_FIELD,
    OUTCOME_DUPLICATE,
    OUTCOME_QUEUED,
    OUTCOME_SPOOLED,
    POLL_RUNS_FIELD,
    POLL_SECONDS_BUCKET_FIELD,
    POLL_SECONDS_BUCKETS,
    POLL_SECONDS_SUM_FIELD,
    bucket_label,
    read_counters,
)
from jobs.failures import FAILING_QUEUES
from jobs.notify import INSTALLATION, endpoints, read_state
from jobs.queues import SERIALIZER
from webhooks.receiver import EXTENSION

bp = Blueprint("metrics", __name__)
require_admin_token(bp, also=lambda settings: settings.metrics_token)

# Shown at zero before the first of each happens, so rates and alerts have a series from the start.
DELIVERY_OUTCOMES = (
    OUTCOME_QUEUED, OUTCOME_DUPLICATE, OUTCOME_SPOOLED, "ping", "400", "401", "404", "405", "410", "413", "500", "503"
)
POLL_ENTITIES = ("orders", "products")
POLL_OUTCOMES = ("succeeded", "failed")
WEBHOOK_STATUSES = ("active", "paused", "disabled")
# The text format every Prometheus reads (prometheus_client's default names 1.0.0, which only
# Prometheus 3 knows); our metric and label names need none of 1.0.0's escaping.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@bp.get("/metrics")
def metrics():
    """Every metric, in Prometheus's text format."""
    receiver = current_app.extensions.get(EXTENSION)
    if receiver is not None:
        receiver.tally.flush()  # this process's rare delivery outcomes; the others' follow within a second
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StorelinkCollector(get_redis(), get_session(), get_settings()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE)


class StorelinkCollector(Collector):
    """Reads every metric once per scrape."""

    def __init__(self, redis: Redis, session: Session, settings: Settings | None = None):
        self.redis = redis
        self.session = session
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "storelink_metrics_source_up", "Whether the scrape could read the source (1) or not (0).", labels=["source"]
        )
        try:
            yield from list(self._from_redis())
            up.add_metric(["redis"], 1)
        except RedisError:
            up.add_metric(["redis"], 0)
        try:
            yield from list(self._from_database())
            up.add_metric(["database"], 1)
        except SQLAlchemyError:
            self.session.rollback()
            up.add_metric(["database"], 0)
        yield up

    def _from_redis(self) -> Iterator[Metric]:
        counters = read_counters(self.redis)
        deliveries = CounterMetricFamily(
            "storelink_webhook_deliveries",
            "Webhook deliveries answered, by outcome (queued, duplicate, spooled, ping, or the HTTP status).",
            labels=["outcome"],
        )
        found = {field.partition(":")[2] for field in counters if field.startswith(DELIVERIES_FIELD.format(outcome=""))}
        for outcome in sorted(set(DELIVERY_OUTCOMES) | found):
            deliveries.add_metric([outcome], int(counters.get(DELIVERIES_FIELD.format(outcome=outcome), 0)))
        yield deliveries
        yield CounterMetricFamily(
            "storelink_events_stored", "Buffered events drain jobs stored (or set apart as failed jobs).",
            value=int(counters.get(EVENTS_STORED_FIELD, 0)),
        )
        yield from self._buffer(counters)
        yield from self._polls(counters)
        yield from self._notifications()
        failed = GaugeMetricFamily("storelink_failed_jobs", "Jobs in RQ's failed registry, by queue.", labels=["queue"])
        for name in FAILING_QUEUES:
            key = FailedJobRegistry(name, connection=self.redis, serializer=SERIALIZER).key
            failed.add_metric([name], self.redis.zcount(key, time.time(), "+inf"))  # expired ones are gone
        yield failed

    def _buffer(self, counters: dict[str, str]) -> list[Metric]:
        depth = GaugeMetricFamily(
            "storelink_event_buffer_depth", "Events waiting in the buffer or claimed by a drain job.", labels=["shard"]
        )
        age = GaugeMetricFamily(
            "storelink_event_buffer_oldest_age_seconds", "Age of the oldest buffered event (0 when none).", labels=["shard"]
        )
        lag = GaugeMetricFamily(
            "storelink_drain_lag_seconds",
            "How long the oldest event of the last batch a drain job stored waited between receipt and storing.",
            labels=["shard"],
        )
        now = utcnow()
        for shard, (waiting, oldest) in EventBuffer(self.redis).backlog(range(SHARDS)).items():
            depth.add_metric([str(shard)], waiting)
            age.add_metric([str(shard)], _seconds_since(oldest, now))
            lag.add_metric([str(shard)], float(counters.get(DRAIN_LAG_FIELD.format(shard=shard), 0)))
        return [depth, age, lag]

    def _polls(self, counters: dict[str, str]) -> list[Metric]:
        labels = ["entity", "outcome"]
        runs = CounterMetricFamily("storelink_poll_runs", "Poll runs that ended.", labels=labels)
        durations = HistogramMetricFamily("storelink_poll_run_duration_seconds", "How long poll runs ran.", labels=labels)
        for entity in POLL_ENTITIES:
            for outcome in POLL_OUTCOMES:
                names = {"entity": entity, "outcome": outcome}
                runs.add_metric([entity, outcome], int(counters.get(POLL_RUNS_FIELD.format(**names), 0)))
                bounds = [bucket_label(le) for le in POLL_SECONDS_BUCKETS]
                buckets = [(le, int(counters.get(POLL_SECONDS_BUCKET_FIELD.format(**names, le=le), 0))) for le in bounds]
                seconds = float(counters.get(POLL_SECONDS_SUM_FIELD.format(**names), 0))
                durations.add_metric([entity, outcome], buckets, seconds)
        return [runs, durations]

    def _notifications(self) -> list[Metric]:
        sent = CounterMetricFamily(
            "storelink_notifications",
            "Notifications to the back office, by endpoint and outcome (acknowledged, or failed attempts).",
            labels=["endpoint", "outcome"],
        )
        failing = GaugeMetricFamily(
            "storelink_notification_failing", "1 while the endpoint's last notification failed.", labels=["endpoint"]
        )
        for endpoint in self._notify_endpoints():
            state = read_state(self.redis, endpoint)
            sent.add_metric([endpoint, "acknowledged"], state.get("sent", 0))
            sent.add_metric([endpoint, "failed"], state.get("failed", 0))
            failing.add_metric([endpoint], 1 if "failing_since" in state else 0)
        return [sent, failing]

    def _notify_endpoints(self) -> list[str]:
        if self.settings is None:
            return []
        try:
            return [endpoint.key for endpoint in endpoints(self.settings, self.session)]
        except SQLAlchemyError:
            self.session.rollback()
            return [INSTALLATION] if self.settings.notify_url else []

    def _from_database(self) -> list[Metric]:
        webhooks = GaugeMetricFamily(
            "storelink_webhooks", "Webhooks of live connections, by their status on the store as last seen.", labels=["status"]
        )
        counts = dict(
            self.session.execute(
                select(Webhook.status, func.count())
                .join(Connection, Webhook.connection_id == Connection.id)
                .where(Connection.deleted_at.is_(None))
                .group_by(Webhook.status)
            ).all()
        )
        for status in sorted(set(WEBHOOK_STATUSES) | set(counts)):
            webhooks.add_metric([status], counts.get(status, 0))
        spooled = self.session.scalar(select(func.count()).select_from(SpooledDelivery))
        return [
            webhooks,
            GaugeMetricFamily(
                "storelink_spooled_deliveries", "Deliveries spooled in the database while Redis was away.", value=spooled
            ),
        ]


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0
