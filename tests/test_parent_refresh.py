"""A variation's event refreshes its parent product from the store, once per burst."""

import json

import pytest
import requests
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs.queues import (
    EVENTS_QUEUE,
    PARENT_REFRESH_DELAY_SECONDS,
    REFRESH_PENDING_KEY,
    SERIALIZER,
    enqueue_refresh,
    queue,
)
from jobs.refresh import refresh_records
from stores.signatures import sign
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import wait_until
from tests.test_receiver import post_delivery
from tests.woo_emulator import ManualClock, WooEmulator

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Generous: a refresh waits PARENT_REFRESH_DELAY_SECONDS (10 s) to gather a burst, on a busy machine.
WITHIN_A_MINUTE = 60


@pytest.fixture
def shop():
    """A store on a clock of its own, so that every change moves a modification time."""
    clock = ManualClock("2026-11-27T10:00:00Z")
    with WooEmulator(clock=clock) as store:
        store.key, store.secret = store.new_key()
        store.clock = clock
        yield store


def connection_fields(store: WooEmulator) -> dict:
    return {"name": "Shop", "external_system": "woocommerce", "api_url": store.base_url,
            "access_token": store.key, "secret": store.secret, "order_start": "2020-01-01"}


def connect_service(service: str, store: WooEmulator) -> str:
    """Register the store with the running service, wait for its worker to register the webhooks;
    answer the connection id."""
    response = requests.post(f"{service}/api/connections", headers=ADMIN, json=connection_fields(store), timeout=30)
    assert response.status_code == 201, response.text
    detail = f"{service}{response.headers['Location']}"
    wait_until(lambda: requests.get(detail, headers=ADMIN, timeout=5).json()["webhooks_state"] == "active",
               timeout=60, interval=0.2, what="the worker registers the webhooks")
    return response.json()["id"]


def stored_product(service: str, connection_id: str, product_id: int) -> dict | None:
    response = requests.get(f"{service}/api/connections/{connection_id}/products/{product_id}", headers=ADMIN, timeout=5)
    return response.json() if response.status_code == 200 else None


def parent_fetches(store: WooEmulator, parent_id: int) -> int:
    """How often Storelink asked the store for the parent product itself."""
    return sum(1 for request in store.requests if request.method == "GET" and request.path == f"/wp-json/wc/v3/products/{parent_id}")


def settled(redis_client) -> bool:
    """No job queued, scheduled or running: nothing more will ask the store."""
    events = queue(EVENTS_QUEUE, redis_client)
    return not events.count and not ScheduledJobRegistry(queue=events).count and not events.started_job_registry.count


def variable_jacket(store: WooEmulator, sizes: int) -> dict:
    return store.create_variable_product(
        "Jacket",
        {"Size": [f"S{number}" for number in range(sizes)]},
        [{"attributes": {"Size": f"S{number}"}, "regular_price": str(100 + number)} for number in range(sizes)],
    )


def run_scheduled_now(redis_client) -> int:
    """Do what RQ's scheduler does once their delay is over: queue the scheduled jobs; answer how many."""
    events = queue(EVENTS_QUEUE, redis_client)
    registry = ScheduledJobRegistry(queue=events)
    job_ids = registry.get_job_ids()
    for job_id in job_ids:
        registry.remove(job_id)
        events.enqueue_job(Job.fetch(job_id, connection=redis_client, serializer=SERIALIZER))
    return len(job_ids)


def test_a_burst_of_variation_events_fetches_their_parent_once(client, shop, run_jobs, redis_client):
    created = client.post("/api/connections", json=connection_fields(shop))
    assert created.status_code == 201, created.json
    connection_id = created.json["id"]
    assert run_jobs() == 1  # the webhooks' registration
    jacket = variable_jacket(shop, 100)
    assert len(shop.run_cron()) == 101  # the parent's product.created and its 100 variations'
    run_jobs()
    assert run_scheduled_now(redis_client) == 1 and run_jobs() == 1
    assert parent_fetches(shop, jacket["id"]) == 1

    # 100 variations change in two bursts, stored by two drains before the refresh runs.
    shop.clock.advance(60)
    for half in (jacket["variations"][:50], jacket["variations"][50:]):
        for variation in half:
            shop.update_variation(variation, stock_quantity=5, manage_stock=True)
        assert {result.resource_id for result in shop.run_cron()} == set(half)
        run_jobs()
    assert run_scheduled_now(redis_client) == 1 and run_jobs() == 1
    assert parent_fetches(shop, jacket["id"]) == 2
    parent = client.get(f"/api/connections/{connection_id}/products/{jacket['id']}").json
    assert parent["modified_at"] == shop.get_product(jacket["id"])["date_modified_gmt"] + "Z"


@pytest.mark.e2e
def test_a_variation_change_makes_its_parent_current_within_a_minute(start_service, shop, redis_client):
    service = start_service(web=True, workers=1).url
    connection_id = connect_service(service, shop)
    jacket = variable_jacket(shop, 3)
    shop.run_cron()
    wait_until(lambda: stored_product(service, connection_id, jacket["id"]), what="the parent stored")
    wait_until(lambda: settled(redis_client), timeout=WITHIN_A_MINUTE, what="the worker idle")
    before = stored_product(service, connection_id, jacket["id"])

    shop.clock.advance(3600)
    cheapest = jacket["variations"][2]
    shop.update_variation(cheapest, regular_price="50", stock_status="outofstock")
    results = shop.run_cron()
    # WooCommerce says nothing about the parent: only the variation is delivered.
    assert [json.loads(result.body)["id"] for result in results] == [cheapest]
    current = shop.get_product(jacket["id"])
    assert current["price"] == "50.00" and current["date_modified_gmt"] > before["modified_at"][:-1]

    def parent_current():
        parent = stored_product(service, connection_id, jacket["id"])
        return parent if parent["modified_at"] == current["date_modified_gmt"] + "Z" else None

    parent = wait_until(parent_current, timeout=WITHIN_A_MINUTE, what="the parent refreshed")
    assert parent["price"] == "50.00"
    assert parent["stock_status"] == current["stock_status"]


def parent_refresh_key(connection_id: str, parent: str) -> str:
    """The mark of a queued read of this parent product (`jobs.queues.enqueue_refresh`)."""
    return REFRESH_PENDING_KEY.format(connection_id=connection_id, resource="product", external_id=parent)


def deliver_variation(anonymous, connection_id: str, **changes) -> None:
    """The captured product.updated of variation 30 (parent 29), with fields changed and signed again."""
    delivery = load_delivery("07")
    body = json.dumps({**delivery.json(), **changes}, separators=(",", ":")).encode()
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 202


def test_only_a_stored_change_of_a_variation_schedules_its_parent(app, anonymous, run_jobs, redis_client):
    connection_id = make_connection()
    scheduled = ScheduledJobRegistry(queue=queue(EVENTS_QUEUE, redis_client))
    deliver_variation(anonymous, connection_id)
    run_jobs()
    [job_id] = scheduled.get_job_ids()
    assert Job.fetch(job_id, connection=redis_client, serializer=SERIALIZER).args == [connection_id, "product", ["29"]]

    # An older version of it changes nothing, and asks nothing of the store.
    redis_client.delete(parent_refresh_key(connection_id, "29"))
    scheduled.remove(job_id, delete_job=True)
    deliver_variation(anonymous, connection_id, date_modified_gmt="2020-01-01T00:00:00")
    run_jobs()
    assert scheduled.count == 0


def test_a_parent_has_at_most_one_refresh_scheduled_until_it_starts(environment, redis_client):
    def schedule(connection_id: str, *parents: str) -> int:
        return enqueue_refresh(redis_client, connection_id, "product", list(parents), delay_seconds=PARENT_REFRESH_DELAY_SECONDS)

    assert schedule("connection-a", "29") + schedule("connection-b", "29") == 2
    assert schedule("connection-a", "29", "40") == 1
    assert ScheduledJobRegistry(queue=queue(EVENTS_QUEUE, redis_client)).count == 3
    # The refresh clears its mark as it starts: a variation stored after that needs another fetch.
    redis_client.delete(parent_refresh_key("connection-a", "29"))
    assert schedule("connection-a", "29") == 1


def test_a_parent_gone_from_the_store_ends_its_refresh(client, shop, redis_client):
    created = client.post("/api/connections", json=connection_fields(shop))
    connection_id = created.json["id"]
    jacket = variable_jacket(shop, 1)
    shop.force_delete_product(jacket["id"])  # WooCommerce sends nothing for this
    redis_client.set(parent_refresh_key(connection_id, str(jacket["id"])), 1)
    assert refresh_records(connection_id, "product", [str(jacket["id"])]) == {str(jacket["id"]): "missing"}
    assert parent_fetches(shop, jacket["id"]) == 1
    assert not redis_client.exists(parent_refresh_key(connection_id, str(jacket["id"])))
