"""Deliveries through the receiver and a real RQ worker into the database, read back through the API."""

import json
from datetime import UTC, datetime, timedelta

from rq.registry import FailedJobRegistry

import config
from jobs.queues import EVENTS_QUEUE, SERIALIZER, event_retry, queue
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.test_receiver import post_delivery


def deliver(anonymous, connection_id, name, **changes):
    """Send a captured delivery, optionally with body fields changed (and signed again)."""
    delivery = load_delivery(name)
    if not changes:
        return post_delivery(anonymous, connection_id, delivery)
    body = json.dumps({**delivery.json(), **changes}, separators=(",", ":")).encode()
    return post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})


def test_order_created_is_stored_with_line_items_totals_and_utc_times(app, anonymous, client, run_jobs):
    connection_id = make_connection(warehouse="Stockholm")
    assert deliver(anonymous, connection_id, "02").status_code == 202
    assert run_jobs() == 1
    order = client.get(f"/api/connections/{connection_id}/orders/93").json
    assert order["status"] == "pending"
    assert order["total"] == "17.98"
    assert order["subtotal"] == "17.98"
    assert order["currency"] == "USD"
    assert order["created_at"] == "2026-11-27T10:27:37Z"
    assert order["warehouse"] == "Stockholm"
    assert order["customer"]["email"] == "wh1@example.com"
    assert order["deleted"] is False
    assert order["line_items"] == [
        {
            "external_id": "154",
            "product_external_id": "10",
            "variation_external_id": None,
            "sku": "SKU-001",
            "name": "Mug",
            "quantity": 2,
            "price": "8.99",
            "total": "17.98",
        }
    ]


def test_orders_created_before_order_start_are_not_imported(app, anonymous, client, run_jobs):
    connection_id = make_connection(order_start=datetime(2026, 11, 28, tzinfo=UTC))
    deliver(anonymous, connection_id, "04")
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders").json["total"] == 0


def test_products_and_variations_are_stored(app, anonymous, client, run_jobs):
    connection_id = make_connection()
    for name in ("06", "07", "09"):
        assert deliver(anonymous, connection_id, name).status_code == 202
    assert run_jobs() == 1  # one drain job stores the three
    variation = client.get(f"/api/connections/{connection_id}/products/30").json
    assert variation["parent_external_id"] == "29"
    assert variation["type"] == "variation"
    assert variation["name"] == "Variable Jacket - S, Red"
    cafe = client.get(f"/api/connections/{connection_id}/products/99").json
    assert cafe["name"] == "Café ☕ “Quote” <b>&amp;</b>"
    simple = client.get(f"/api/connections/{connection_id}/products/94").json
    assert simple["parent_external_id"] is None
    assert client.get(f"/api/connections/{connection_id}/products").json["total"] == 3


def test_last_delivery_time_is_recorded_per_webhook(app, anonymous, client, run_jobs):
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    run_jobs()
    webhooks = {hook["topic"]: hook for hook in client.get(f"/api/connections/{connection_id}").json["webhooks"]}
    assert webhooks["order.updated"]["last_delivery_at"] is not None
    assert webhooks["order.created"]["last_delivery_at"] is None


def test_malformed_event_fails_at_once_with_the_reason(app, redis_client, run_jobs):
    connection_id = make_connection()
    job = queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event", connection_id, "order", "updated", {"id": 5, "date_modified_gmt": "soon"},
        datetime.now(UTC).isoformat(), retry=event_retry((5, 30)),
    )
    run_jobs()
    failed = FailedJobRegistry(EVENTS_QUEUE, connection=redis_client)
    assert failed.get_job_ids() == [job.id]
    job.refresh()
    assert job.retries_left == 0
    assert "date_modified_gmt" in job.latest_result().exc_string


def test_events_for_a_deleted_connection_are_dropped(app, redis_client, run_jobs, client):
    connection_id = make_connection(deleted=True)
    queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event", connection_id, "order", "updated", load_delivery("04").json(),
        datetime.now(UTC).isoformat(),
    )
    run_jobs()
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).count == 0


def test_transient_database_failure_is_retried_later_and_then_stored(app, anonymous, client, run_jobs, redis_client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import jobs.events

    connection_id = make_connection()
    real_upsert = jobs.events.upsert_many
    calls = []

    def flaky_upsert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE orders", {}, Exception("database is locked"))
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(jobs.events, "upsert_many", flaky_upsert)
    deliver(anonymous, connection_id, "04")
    run_jobs()
    events = queue(EVENTS_QUEUE, redis_client)
    scheduled = events.scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1  # waiting for its retry, not failed
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).count == 0
    job = events.fetch_job(scheduled[0])
    assert job.retries_left == len(config.get_settings().event_retry_seconds) - 1
    events.scheduled_job_registry.remove(job)
    events.enqueue_job(job)  # what RQ's scheduler does when the delay is over
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").json["status"] == "completed"


def test_a_failed_job_and_its_arguments_expire_after_the_configured_days(app, redis_client, run_jobs):
    connection_id = make_connection()
    job = queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event", connection_id, "order", "updated", {"id": 5, "date_modified_gmt": "soon"},
        datetime.now(UTC).isoformat(),
    )
    run_jobs()
    days = config.get_settings().failed_job_ttl_days
    assert days == 30
    assert 29 * 86400 < redis_client.ttl(job.key) <= days * 86400
    expires_at = FailedJobRegistry(EVENTS_QUEUE, connection=redis_client, serializer=SERIALIZER).get_expiration_time(job)
    assert expires_at <= datetime.now(UTC) + timedelta(days=days)
