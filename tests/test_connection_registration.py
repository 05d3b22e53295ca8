"""Creating a connection answers within seconds and is safe to retry (issue 14, point 4).

Webhooks are registered by a job (each WooCommerce webhook creation waits on a synchronous ping),
visible in the connection's `webhooks_state`; an `Idempotency-Key` makes a retried create answer
what the first one did instead of creating again.
"""

import threading
import time

import requests
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from jobs.queues import EVENTS_QUEUE, queue
from stores.woocommerce.webhooks import TOPICS
from tests.conftest import ADMIN_TOKEN
from tests.services import free_port, wait_until
from tests.test_duplicate_stores import body_for
from tests.test_parent_refresh import run_scheduled_now
from web import create_app

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Heroku's router answers 503 to any request still unanswered after this long.
HEROKU_ROUTER_SECONDS = 30


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


def test_topics_the_store_will_not_create_are_shown_failed_until_a_retry_registers_them(
    client, store, run_jobs, redis_client
):
    response = client.post("/api/connections", json=body_for(store))
    store.fail_next("webhooks", 500, count=len(TOPICS), method="POST")  # the listing answers

    assert run_jobs() == 1

    failed = client.get(response.headers["Location"]).json
    assert failed["webhooks_state"] == "failed"
    assert {hook["status"] for hook in failed["webhooks"]} == {"failed"}
    assert all("500" in hook["error"] for hook in failed["webhooks"]), failed["webhooks"]
    assert run_scheduled_now(redis_client) == 1 and run_jobs() == 1  # RQ's retry, its delay over
    registered = client.get(response.headers["Location"]).json
    assert registered["webhooks_state"] == "active"
    assert len(store.webhooks.items) == len(TOPICS)


def test_the_same_idempotency_key_twice_creates_one_connection_and_answers_the_first_response(
    client, store, run_jobs
):
    body = body_for(store)
    headers = {"Idempotency-Key": "7f1c1c6e-1d4c-4f0a-9c47-3c1b8f8c2a10"}

    first = client.post("/api/connections", json=body, headers=headers)
    again = client.post("/api/connections", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [item["id"] for item in client.get("/api/connections").json["items"]] == [first.json["id"]]
    assert run_jobs() == 1
    assert len(store.webhooks.items) == 8


def test_an_idempotency_key_reused_with_another_body_is_refused_naming_the_header(client, store):
    headers = {"Idempotency-Key": "order-42"}
    assert client.post("/api/connections", json=body_for(store), headers=headers).status_code == 201

    other = client.post("/api/connections", json=body_for(store, name="Another shop"), headers=headers)

    assert other.status_code == 422
    assert list(other.json["errors"]) == ["Idempotency-Key"]
    assert "different request body" in other.json["errors"]["Idempotency-Key"][0]
    assert len(client.get("/api/connections").json["items"]) == 1


def test_a_malformed_idempotency_key_is_refused_naming_the_header(client, store):
    for key in ("", "x" * 256, "caf\u00e9"):
        response = client.post("/api/connections", json=body_for(store), headers={"Idempotency-Key": key})
        assert response.status_code == 422, key
        assert list(response.json["errors"]) == ["Idempotency-Key"]
    assert client.get("/api/connections").json["items"] == []


def test_a_request_refused_with_a_key_can_be_retried_with_it(client, store):
    headers = {"Idempotency-Key": "retry-me"}
    store.fail_next("system_status", 503, count=10)
    refused = client.post("/api/connections", json=body_for(store), headers=headers)
    assert refused.status_code == 400, refused.json
    store.clear_faults()

    created = client.post("/api/connections", json=body_for(store), headers=headers)

    assert created.status_code == 201, created.json
    assert "Idempotent-Replayed" not in created.headers


def test_concurrent_requests_with_one_key_create_once(start_service, store):
    service = start_service(workers=0)
    headers = {**HEADERS, "Idempotency-Key": "concurrent"}
    store.delay_next("system_status", 3)  # the first request's verification is slow
    answers: list[requests.Response] = []
    first = threading.Thread(
        target=lambda: answers.append(
            requests.post(f"{service.url}/api/connections", json=body_for(store), headers=headers, timeout=30)
        )
    )
    first.start()
    time.sleep(1)  # the first request holds the key, waiting on the store

    second = requests.post(f"{service.url}/api/connections", json=body_for(store), headers=headers, timeout=30)
    first.join()

    assert second.status_code == 409, second.text
    assert second.json()["error"]["code"] == "idempotency_key_in_progress"
    assert second.headers["Retry-After"].isdigit()
    [created] = answers
    assert created.status_code == 201, created.text
    third = requests.post(f"{service.url}/api/connections", json=body_for(store), headers=headers, timeout=30)
    assert (third.status_code, third.json()) == (201, created.json())
    listed = requests.get(f"{service.url}/api/connections", headers=HEADERS, timeout=10).json()["items"]
    assert [item["id"] for item in listed] == [created.json()["id"]]


def test_without_redis_a_key_is_refused_and_a_create_without_one_leaves_the_webhooks_to_the_polls(
    client, store, caplog
):
    without_redis = create_app({"redis_url": f"redis://127.0.0.1:{free_port()}/0"}).test_client()
    without_redis.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {ADMIN_TOKEN}"

    keyed = without_redis.post("/api/connections", json=body_for(store), headers={"Idempotency-Key": "k-1"})

    assert keyed.status_code == 503
    assert keyed.json["error"]["code"] == "unavailable"
    assert "Idempotency-Key" in keyed.json["error"]["message"]
    assert client.get("/api/connections").json["items"] == []
    plain = without_redis.post("/api/connections", json=body_for(store))
    assert plain.status_code == 201, plain.json
    assert plain.json["webhooks_state"] == "registering"
    assert "its first poll registers the webhooks" in caplog.text
    assert store.secret not in caplog.text
