"""`GET /metrics`: Prometheus's text format, behind a token, true to Redis, the database and RQ."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

import config
from db.models import SyncRun, Webhook
from db.session import transaction
from jobs.buffer import SHARDS, EventBuffer, envelope, shard_of
from jobs.queues import EVENTS_QUEUE, queue
from jobs.scheduling import fail_abandoned_runs
from jobs.spool import drain_spool, spool_delivery
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.guarantees import order_body, send
from tests.services import child_pids, tcp_sockets, wait_until
from tests.test_receiver import post_delivery
from web import create_app

METRICS_TOKEN = "metrics-token-" + "m" * 32
FAMILIES = {
    "storelink_webhook_deliveries": "counter",
    "storelink_events_stored": "counter",
    "storelink_event_buffer_depth": "gauge",
    "storelink_event_buffer_oldest_age_seconds": "gauge",
    "storelink_drain_lag_seconds": "gauge",
    "storelink_poll_runs": "counter",
    "storelink_poll_run_duration_seconds": "histogram",
    "storelink_failed_jobs": "gauge",
    "storelink_notifications": "counter",
    "storelink_notification_failing": "gauge",
    "storelink_webhooks": "gauge",
    "storelink_spooled_deliveries": "gauge",
    "storelink_metrics_source_up": "gauge",
}


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample, by name and labels; fails on anything that is not valid exposition format."""
    samples = {}
    for family in text_string_to_metric_families(text):
        # The text format names a counter's HELP and TYPE lines as its samples: `..._total`.
        named = f"{family.name}_total" if family.type == "counter" else family.name
        assert f"# HELP {named} " in text and f"# TYPE {named} {family.type}\n" in text, family.name
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name == f"{family.name}_total", sample.name
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.get_data(as_text=True))


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_every_metric_is_given_with_help_and_type(client):
    text = client.get("/metrics").get_data(as_text=True)
    families = {family.name: family.type for family in text_string_to_metric_families(text)}
    assert families == FAMILIES
    samples = parse(text)
    assert value(samples, "storelink_metrics_source_up", source="redis") == 1
    assert value(samples, "storelink_metrics_source_up", source="database") == 1
    for shard in range(SHARDS):
        assert value(samples, "storelink_event_buffer_depth", shard=str(shard)) == 0
    assert value(samples, "storelink_webhook_deliveries_total", outcome="queued") == 0


@pytest.fixture
def metrics_app(environment):
    """The app with a METRICS_TOKEN."""
    application = create_app({"metrics_token": METRICS_TOKEN})
    application.config["TESTING"] = True
    return application


def get_with(app, token: str | None, path: str = "/metrics"):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return app.test_client().get(path, headers=headers)


def test_metrics_need_the_admin_token_or_the_metrics_token(metrics_app):
    assert get_with(metrics_app, None).status_code == 401
    refused = get_with(metrics_app, "not-the-token")
    assert refused.status_code == 401
    assert METRICS_TOKEN not in refused.get_data(as_text=True) and ADMIN_TOKEN not in refused.get_data(as_text=True)
    assert get_with(metrics_app, ADMIN_TOKEN).status_code == 200
    assert get_with(metrics_app, METRICS_TOKEN).status_code == 200
    # It opens the metrics only.
    assert get_with(metrics_app, METRICS_TOKEN, "/api/connections").status_code == 401


def test_wrong_metrics_tokens_are_limited_like_admin_tokens(metrics_app):
    for _ in range(10):
        assert get_with(metrics_app, "guess").status_code == 401
    held_off = get_with(metrics_app, METRICS_TOKEN)
    assert held_off.status_code == 429
    assert int(held_off.headers["Retry-After"]) > 0


def test_a_short_metrics_token_is_refused_at_start():
    with pytest.raises(config.ConfigError, match="METRICS_TOKEN"):
        config.load_settings({"SECRET_KEY": "k", "ADMIN_TOKEN": "a" * 32, "METRICS_TOKEN": "short"}).check()


def test_receiver_outcomes_are_counted(client, anonymous, redis_client):
    connection_id = make_connection()
    delivery = load_delivery("04")
    assert post_delivery(anonymous, connection_id, delivery).status_code == 202
    assert post_delivery(anonymous, connection_id, delivery).json["status"] == "duplicate"
    assert post_delivery(anonymous, connection_id, load_delivery("10")).status_code == 401
    assert post_delivery(anonymous, "unknown-connection", delivery).status_code == 404
    assert post_delivery(anonymous, connection_id, load_delivery("01")).status_code == 200
    samples = scrape(client)
    expected = {"queued": 1, "duplicate": 1, "401": 1, "404": 1, "ping": 1, "413": 0}
    assert {outcome: value(samples, "storelink_webhook_deliveries_total", outcome=outcome) for outcome in expected} == expected


def test_buffer_depth_and_oldest_age_per_shard(client, redis_client):
    connection_id = make_connection()
    shard = shard_of(connection_id)
    buffer = EventBuffer(redis_client)
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for received in (hour_ago, datetime.now(UTC).isoformat()):
        buffer.push_unchecked(connection_id, envelope(connection_id, "order", "updated", received, '{"id": 1}'))
    samples = scrape(client)
    assert value(samples, "storelink_event_buffer_depth", shard=str(shard)) == 2
    assert 3600 <= value(samples, "storelink_event_buffer_oldest_age_seconds", shard=str(shard)) < 3700
    other = str((shard + 1) % SHARDS)
    assert value(samples, "storelink_event_buffer_oldest_age_seconds", shard=other) == 0
    # A claimed batch (a drain at work, or a dead one's leftover) is the oldest.
    assert len(buffer.claim(shard, size=1)) == 1
    samples = scrape(client)
    assert value(samples, "storelink_event_buffer_depth", shard=str(shard)) == 2
    assert value(samples, "storelink_event_buffer_oldest_age_seconds", shard=str(shard)) >= 3600


def test_drains_count_stored_events_and_their_lag(client, redis_client, run_jobs):
    connection_id = make_connection()
    shard = shard_of(connection_id)
    buffer = EventBuffer(redis_client)
    ten_minutes_ago = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    for number in range(3):
        body, _ = order_body(100 + number, 1)
        buffer.push_unchecked(connection_id, envelope(connection_id, "order", "updated", ten_minutes_ago, body.decode()))
    queue(EVENTS_QUEUE, redis_client).enqueue("jobs.events.drain_events", shard)
    run_jobs()
    samples = scrape(client)
    assert value(samples, "storelink_events_stored_total") == 3
    assert value(samples, "storelink_event_buffer_depth", shard=str(shard)) == 0
    assert 600 <= value(samples, "storelink_drain_lag_seconds", shard=str(shard)) < 700


def test_failed_jobs_spool_and_webhooks_reflect_reality(client, redis_client, run_jobs):
    connection_id = make_connection()
    make_connection(deleted=True)  # a deleted connection's webhooks are not counted
    settings = config.get_settings()
    with transaction(settings.database_url) as session:
        session.execute(update(Webhook).where(Webhook.topic == "order.updated").values(status="paused"))
        for number in range(3):
            spool_delivery(session, connection_id, "order", "updated", {"id": number}, datetime.now(UTC))
    for _ in range(2):
        queue(EVENTS_QUEUE, redis_client).enqueue("jobs.events.reject_envelope", "not an envelope")
    run_jobs()
    samples = scrape(client)
    assert value(samples, "storelink_failed_jobs", queue=EVENTS_QUEUE) == 2
    assert value(samples, "storelink_spooled_deliveries") == 3
    assert value(samples, "storelink_webhooks", status="paused") == 1
    assert value(samples, "storelink_webhooks", status="active") == 7
    assert value(samples, "storelink_webhooks", status="disabled") == 0
    # Spooled deliveries are counted when the clock moves them into Redis, which was away before.
    with transaction(settings.database_url) as session:
        assert drain_spool(session, EventBuffer(redis_client)) == 3
    samples = scrape(client)
    assert value(samples, "storelink_spooled_deliveries") == 0
    assert value(samples, "storelink_webhook_deliveries_total", outcome="spooled") == 3


def test_poll_runs_are_counted_by_outcome_with_their_duration(client, store, connect, run_jobs, redis_client):
    connection = connect()
    store.create_order()
    assert client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "orders"}).status_code == 202
    run_jobs()
    store.keys.revoke(store.key)
    assert client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "products"}).status_code == 202
    run_jobs()
    samples = scrape(client)
    assert value(samples, "storelink_poll_runs_total", entity="orders", outcome="succeeded") == 1
    assert value(samples, "storelink_poll_runs_total", entity="products", outcome="failed") == 1
    assert value(samples, "storelink_poll_runs_total", entity="orders", outcome="failed") == 0
    histogram = "storelink_poll_run_duration_seconds"
    assert value(samples, f"{histogram}_count", entity="orders", outcome="succeeded") == 1
    assert value(samples, f"{histogram}_bucket", entity="orders", outcome="succeeded", le="+Inf") == 1
    assert 0 < value(samples, f"{histogram}_sum", entity="orders", outcome="succeeded") < 60
    # Runs given up as abandoned count as failed.
    settings = config.get_settings()
    with transaction(settings.database_url) as session:
        session.execute(update(SyncRun).values(status="running", updated_at=datetime.now(UTC) - timedelta(days=1)))
    with transaction(settings.database_url) as session:
        assert fail_abandoned_runs(session, redis=redis_client) == 2
    samples = scrape(client)
    assert value(samples, "storelink_poll_runs_total", entity="orders", outcome="failed") == 1
    assert value(samples, "storelink_poll_runs_total", entity="products", outcome="failed") == 2


def test_exposition_escapes_label_values(client, redis_client):
    # An outcome is always one of ours, but the format must hold whatever a label holds.
    redis_client.hset("storelink:metrics", 'deliveries:odd"\\\nvalue', 1)
    samples = scrape(client)
    assert value(samples, "storelink_webhook_deliveries_total", outcome='odd"\\\nvalue') == 1
    assert re.search(r'outcome="odd\\"\\\\\\nvalue"', client.get("/metrics").get_data(as_text=True))


@pytest.mark.e2e
def test_deliveries_spread_over_both_gunicorn_workers_are_all_counted(start_service):
    service = start_service(workers=0)
    connection_id = make_connection()
    sessions = [requests.Session() for _ in range(16)]  # kept alive: each stays with the worker that accepted it
    for number in range(48):
        body, headers = order_body(1000 + number, 1)
        assert send(sessions[number % len(sessions)], service.url, connection_id, body, headers) == 202
    body, headers = order_body(1000, 1)
    for session in sessions[:4]:
        assert send(session, service.url, connection_id, body, headers) == 202  # a duplicate
    for session in sessions[:6]:
        assert send(session, service.url, connection_id, body, {**headers, "X-WC-Webhook-Signature": "bad"}) == 401
    port = int(service.url.rpartition(":")[2])
    held = {pid: len(tcp_sockets(pid, port, "ESTABLISHED")) for pid in child_pids(service.processes.running["web"].pid)}
    assert sum(1 for count in held.values() if count) == 2, held  # both workers served deliveries

    def counted() -> dict[str, float]:
        answer = requests.get(f"{service.url}/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        samples = parse(answer.text)
        return {outcome: value(samples, "storelink_webhook_deliveries_total", outcome=outcome) for outcome in ("queued", "duplicate", "401")}

    # Each scrape on a connection of its own: whichever worker answers, the counts are all deliveries',
    # once the other worker's timer has sent the 401s it counted in its process (within a second).
    expected = {"queued": 48, "duplicate": 4, "401": 6}
    wait_until(lambda: counted() == expected, timeout=10, interval=0.2, what="both workers' counts in Redis")
    assert [counted() for _ in range(8)] == [expected] * 8
    for session in sessions:
        session.close()
