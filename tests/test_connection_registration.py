"""Creating a connection answers within seconds and is safe to retry (issue 14, point 4).

Webhooks are registered by a job (each WooCommerce webhook creation waits on a synchronous ping),
visible in the connection's `webhooks_state`; an `Idempotency-Key` makes a retried create answer
what the first one did instead of creating again.
"""

import time

import requests
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from jobs.queues import EVENTS_QUEUE, queue
from tests.conftest import ADMIN_TOKEN
from tests.services import wait_until

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Heroku's router answers 503 to any request still unanswered after this long.
HEROKU_ROUTER_SECONDS = 30


def body_for(store, **overrides) -> dict:
    return {
        "name": "Shop",
        "external_system": "woocommerce",
        "api_url": store.base_url,
        "access_token": store.key,
        "secret": store.secret,
        **overrides,
    }


def test_a_create_answers_before_slow_pings_and_a_worker_registers_the_webhooks(start_service, store):
    store.ping_latency = 4  # eight creations at 4 s each would take 32 s
    service = start_service(workers=1)
    started = time.monotonic()
    response = requests.post(
        f"{service.url}/api/connections", json=body_for(store), headers=HEADERS, timeout=HEROKU_ROUTER_SECONDS
    )
    answered_in = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert answered_in < HEROKU_ROUTER_SECONDS / 2, answered_in
    created = response.json()
    assert created["webhooks_state"] == "registering"
    assert [hook["status"] for hook in created["webhooks"]] == ["registering"] * 8
    assert {hook["store_webhook_id"] for hook in created["webhooks"]} == {None}

    detail = f"{service.url}{response.headers['Location']}"
    registered = wait_until(
        lambda: (found := requests.get(detail, headers=HEADERS, timeout=10).json())["webhooks_state"] == "active"
        and found,
        timeout=120,
        interval=0.5,
        what="the worker registers the webhooks",
    )
    on_store = store.webhooks.items
    assert sorted(hook["store_webhook_id"] for hook in registered["webhooks"]) == sorted(on_store)
    assert {hook.status for hook in on_store.values()} == {"active"}
    assert {hook.delivery_url for hook in on_store.values()} == {f"{service.url}/webhooks/woocommerce/{created['id']}"}


def test_deleting_a_connection_while_its_webhooks_register_leaves_none_on_the_store(start_service, store, redis_client):
    store.ping_latency = 1
    service = start_service(workers=1)
    response = requests.post(f"{service.url}/api/connections", json=body_for(store), headers=HEADERS, timeout=30)
    assert response.status_code == 201, response.text
    wait_until(lambda: store.webhooks.items, timeout=60, what="the registration to be under way")

    deleted = requests.delete(f"{service.url}{response.headers['Location']}", headers=HEADERS, timeout=60)

    assert deleted.status_code == 204
    events = queue(EVENTS_QUEUE, redis_client)
    wait_until(
        lambda: events.count == 0 and StartedJobRegistry(queue=events).count == 0,
        timeout=60,
        what="the registration job to finish",
    )
    assert store.webhooks.items == {}
    assert ScheduledJobRegistry(queue=events).count == 0  # nothing left to retry


def test_webhooks_the_store_refuses_are_shown_failed_and_the_job_is_retried(client, store, run_jobs, redis_client):
    response = client.post("/api/connections", json=body_for(store))
    assert response.status_code == 201, response.json
    store.fail_next("webhooks", 500, count=100)

    assert run_jobs() == 1

    failed = client.get(response.headers["Location"]).json
    assert failed["webhooks_state"] == "failed"
    assert {hook["status"] for hook in failed["webhooks"]} == {"failed"}
    assert all(hook["error"] for hook in failed["webhooks"])
    assert ScheduledJobRegistry(queue=queue(EVENTS_QUEUE, redis_client)).count == 1
