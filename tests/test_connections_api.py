"""Connections over the admin API, against the store emulator: verify, save, webhooks, change, delete."""

import contextlib
import logging
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import make_url

from connections import webhooks as registration
from connections.webhooks import RegistrationLock
from db.models import Connection, Webhook
from db.session import get_engine, transaction
from jobs import clock
from jobs.queues import redis_connection
from stores.woocommerce import webhooks as woo_webhooks
from stores.woocommerce.webhooks import TOPICS
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_connection
from tests.services import free_port

VALID = {
    "name": "Shop",
    "external_system": "woocommerce",
    "api_url": "http://127.0.0.1:8080",
    "access_token": "ck_" + "a" * 40,
    "secret": "cs_" + "b" * 40,
}


def store_hooks(store):
    return sorted(store.webhooks.items.values(), key=lambda hook: hook.topic)


def test_create_saves_a_verified_connection_and_registers_webhooks(client, store, connect, live_server):
    connection = connect()
    assert connection["access_token"] == f"ck_…{store.key[-4:]}"
    assert "secret" not in connection
    assert connection["auth_mode"] == "oauth1"
    assert connection["store"]["version"] == "9.9.5"
    hooks = store_hooks(store)
    assert sorted(hook.topic for hook in hooks) == sorted(TOPICS)
    expected_url = f"{live_server.url}/webhooks/woocommerce/{connection['id']}"
    assert {hook.delivery_url for hook in hooks} == {expected_url}
    assert {hook.secret for hook in hooks} == {store.secret}
    # WooCommerce pinged each new webhook; only an exact 200 counts, and each got it.
    assert [ping.status for ping in store.pings] == [200] * len(TOPICS)
    assert {hook["status"] for hook in connection["webhooks"]} == {"active"}
    assert {hook["store_webhook_id"] for hook in connection["webhooks"]} == {hook.id for hook in hooks}


def test_new_connections_poll_orders_hourly_and_products_daily(client, connect):
    connection = connect()
    schedules = client.get(f"/api/connections/{connection['id']}/schedules").json["items"]
    assert {(s["entity"], s["interval_minutes"], s["active"]) for s in schedules} == {
        ("orders", 60, True),
        ("products", 1440, True),
    }


def test_failed_verification_saves_nothing_and_registers_nothing(client, store):
    response = client.post("/api/connections", json={**VALID, "api_url": store.base_url, "access_token": store.key})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_credentials"
    assert client.get("/api/connections").json["items"] == []
    assert store.webhooks.items == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"external_system": "magento"}, "external_system"),
        ({"external_system": "sap"}, "external_system"),
        ({"api_url": "ftp://shop.example.com"}, "api_url"),
        ({"api_url": "not a url"}, "api_url"),
        ({"access_token": "cs_wrong_kind"}, "access_token"),
        ({"secret": "ck_wrong_kind"}, "secret"),
        ({"order_start": "last tuesday"}, "order_start"),
        ({"warehouse": 5}, "warehouse"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_fields_are_named_in_a_422(client, change, field):
    response = client.post("/api/connections", json={**VALID, **change})
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


@pytest.mark.parametrize("missing", ["name", "external_system", "api_url", "access_token", "secret"])
def test_required_fields_are_named_when_missing(client, missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    assert list(client.post("/api/connections", json=body).json["errors"]) == [missing]


def test_body_that_is_not_an_object_is_422(client):
    response = client.post("/api/connections", data="[]", content_type="application/json")
    assert response.status_code == 422


def test_admin_api_needs_the_bearer_token(anonymous, client):
    assert anonymous.get("/api/connections").status_code == 401
    wrong = anonymous.get("/api/connections", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "unauthorized"
    assert anonymous.get("/api/connections", headers={"Authorization": f"Basic {ADMIN_TOKEN}"}).status_code == 401
    assert client.get("/api/connections").status_code == 200


def test_list_and_get(client, connect):
    connection = connect()
    listed = client.get("/api/connections").json["items"]
    assert [item["id"] for item in listed] == [connection["id"]]
    one = client.get(f"/api/connections/{connection['id']}").json
    assert one["name"] == "Test store"
    assert len(one["webhooks"]) == len(TOPICS)
    assert client.get("/api/connections/unknown").status_code == 404


def test_patch_plain_fields_does_not_touch_the_store(client, store, connect):
    connection = connect()
    requests_before = len(store.requests)
    response = client.patch(f"/api/connections/{connection['id']}", json={"name": "Renamed", "warehouse": None})
    assert response.status_code == 200
    assert response.json["name"] == "Renamed"
    assert response.json["warehouse"] is None
    assert len(store.requests) == requests_before


def test_new_keys_are_verified_then_webhooks_take_the_new_secret(client, store, connect):
    connection = connect()
    hook_ids = {hook.id for hook in store_hooks(store)}
    key, secret = store.new_key()
    response = client.patch(f"/api/connections/{connection['id']}", json={"access_token": key, "secret": secret})
    assert response.status_code == 200, response.json
    assert response.json["access_token"] == f"ck_…{key[-4:]}"
    # The same webhooks, now signing with the new secret: no duplicates.
    assert {hook.id for hook in store_hooks(store)} == hook_ids
    assert {hook.secret for hook in store_hooks(store)} == {secret}


def test_bad_new_keys_change_nothing(client, store, connect):
    connection = connect()
    response = client.patch(f"/api/connections/{connection['id']}", json={"secret": "cs_" + "0" * 40})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_credentials"
    assert {hook.secret for hook in store_hooks(store)} == {store.secret}
    assert client.get(f"/api/connections/{connection['id']}").json["access_token"] == connection["access_token"]


def test_registering_again_reuses_existing_webhooks(client, store, connect):
    connection = connect()
    before = {hook.id for hook in store_hooks(store)}
    client.patch(f"/api/connections/{connection['id']}", json={"secret": store.secret, "api_url": store.base_url + "/"})
    assert {hook.id for hook in store_hooks(store)} == before


def test_delete_removes_webhooks_from_the_store_and_later_deliveries_are_gone(client, anonymous, store, connect):
    connection = connect()
    response = client.delete(f"/api/connections/{connection['id']}")
    assert response.status_code == 204
    assert "Storelink-Webhooks-Not-Removed" not in response.headers
    assert store.webhooks.items == {}
    gone = client.get(f"/api/connections/{connection['id']}")
    assert gone.status_code == 410 and gone.json["error"]["code"] == "connection_deleted"
    assert client.get("/api/connections").json["items"] == []
    late = anonymous.post(f"/webhooks/woocommerce/{connection['id']}", data=b"{}", headers={"X-WC-Webhook-Signature": "x"})
    assert late.status_code == 410


def test_delete_reports_webhooks_the_store_would_not_remove(client, store, connect):
    connection = connect()
    first = min(store.webhooks.items)
    store.fail_next(f"webhooks/{first}", 500)
    response = client.delete(f"/api/connections/{connection['id']}")
    assert response.status_code == 204
    assert response.headers["Storelink-Webhooks-Not-Removed"] == str(first)


def test_connection_responses_never_contain_the_secret(client, store, connect):
    connection = connect()
    for path in ("", f"/{connection['id']}", f"/{connection['id']}/schedules"):
        assert store.secret not in client.get(f"/api/connections{path}").get_data(as_text=True)


def test_a_worker_committing_between_a_requests_read_and_its_write_does_not_fail_it(client, connect, database_url):
    # SQLite fails a transaction begun DEFERRED that reads, then writes after another process
    # committed, at once ("database is locked", no busy wait): seen as a 500 when a new
    # connection's first poll stored products while its webhooks were being recorded.
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's locking; PostgreSQL's transactions do not fail this way")
    connection = connect()
    other = make_connection()
    worker = threading.Thread(target=commit_as_a_worker, args=(make_url(database_url).database, other))

    def after_statement(_conn, _cursor, statement, *_args):
        # Right after the request's first read, a worker commits (or waits for our write lock).
        if not worker.is_alive() and worker.ident is None and statement.lstrip().upper().startswith("SELECT"):
            worker.start()
            worker.join(0.5)

    engine = get_engine(database_url)
    event.listen(engine, "after_cursor_execute", after_statement)
    try:
        response = client.patch(f"/api/connections/{connection['id']}", json={"name": "Renamed"})
    finally:
        event.remove(engine, "after_cursor_execute", after_statement)
        worker.join(10)

    assert worker.ident is not None  # the race was run
    assert response.status_code == 200, response.json
    assert client.get(f"/api/connections/{connection['id']}").json["name"] == "Renamed"
    assert client.get(f"/api/connections/{other}").json["company_group"] == "Committed by a worker"


def commit_as_a_worker(path: str, public_id: str) -> None:
    """One write from a connection of its own, waiting up to 5 s for SQLite's write lock."""
    with contextlib.closing(sqlite3.connect(path, timeout=5)) as database:
        database.execute("UPDATE connections SET company_group = 'Committed by a worker' WHERE public_id = ?", (public_id,))
        database.commit()


def test_a_first_poll_racing_the_creation_does_not_register_webhooks_twice(client, store, connect, run_jobs, monkeypatch):
    # The clock sees a new connection as soon as it is committed, before its webhooks are
    # registered; its first poll heals webhooks. Interleave the two at the worst moment:
    # creation has listed the store's webhooks (none yet) when the poll runs.
    original = woo_webhooks.list_store_webhooks
    polled = []

    def list_then_poll(client_):
        listing = original(client_)
        if not polled:
            polled.append(clock.tick())
            run_jobs()
        return listing

    monkeypatch.setattr(woo_webhooks, "list_store_webhooks", list_then_poll)
    connection = connect()
    assert polled == [2]  # orders and products polls ran in between...
    runs = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
    assert {run["status"] for run in runs} == {"succeeded"}
    # ...and one webhook per topic is on the store, not two.
    assert sorted(hook.topic for hook in store_hooks(store)) == sorted(TOPICS)
    assert [ping.status for ping in store.pings] == [200] * len(TOPICS)


def test_polls_leave_webhooks_alone_while_they_are_being_registered(client, store, connect, run_jobs, redis_client):
    connection = connect()
    missing = min(store.webhooks.items)
    store.webhooks.items.pop(missing)
    with RegistrationLock(redis_client, 1.0).held(connection["id"]):
        assert clock.tick() == 2
        run_jobs()  # the polls succeed without touching webhooks someone else is registering
        assert len(store.webhooks.items) == len(TOPICS) - 1
    client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "orders"})
    run_jobs()
    assert len(store.webhooks.items) == len(TOPICS)


def test_delete_waits_for_a_registration_in_progress_then_removes_what_it_registered(
    client, store, connect, redis_client, database_url
):
    connection = connect()
    lock = RegistrationLock(redis_client, 5.0)
    registered = threading.Event()
    replacements: list[int] = []
    released = []

    def heal_elsewhere():
        # As a poll's heal would: replace a webhook on the store and record it, holding the lock.
        with lock.held(connection["id"]):
            registered.set()
            time.sleep(0.5)  # meanwhile the delete request has read the connection and waits
            hook = store.create_webhook("order.created", store_hooks(store)[0].delivery_url, store.secret, ping=False)
            with transaction(database_url) as session:  # needs SQLite's write lock: the waiting request must not hold it
                owner = select(Connection.id).where(Connection.public_id == connection["id"]).scalar_subquery()
                session.execute(
                    update(Webhook)
                    .where(Webhook.connection_id == owner, Webhook.topic == "order.created")
                    .values(store_webhook_id=str(hook.id))
                )
            replacements.append(hook.id)
            released.append(time.monotonic())

    other = threading.Thread(target=heal_elsewhere)
    other.start()
    registered.wait(5)
    assert client.delete(f"/api/connections/{connection['id']}").status_code == 204
    deleted = time.monotonic()
    other.join()
    assert released and released[0] <= deleted
    assert replacements and replacements[0] not in store.webhooks.items  # read after the wait, so removed too


def test_the_registration_lock_is_one_holder_at_a_time_and_expires(redis_client, caplog):
    lock = RegistrationLock(redis_client, 0.05)
    assert lock.expiry_seconds == pytest.approx(0.05 * registration.REGISTRATION_CALLS_AT_MOST)
    with lock.held("conn-a") as first:
        assert first
        with lock.held("conn-a", wait=False) as second:
            assert not second
        with lock.held("conn-b", wait=False) as other_connection:
            assert other_connection
    with lock.held("conn-a", wait=False) as again:
        assert again
    # A holder that outlasts the expiry loses the lock to the next one, and says so.
    with caplog.at_level(logging.WARNING), lock.held("conn-c"):
        time.sleep(lock.expiry_seconds + 0.1)
        with lock.held("conn-c", wait=False) as taken_over:
            assert taken_over
    assert "outlasted its lock" in caplog.text


def test_without_redis_registration_goes_ahead_and_a_heal_is_skipped(caplog):
    lock = RegistrationLock(redis_connection(f"redis://127.0.0.1:{free_port()}/0"), 1.0)
    ran = []
    with caplog.at_level(logging.WARNING), lock.held("conn-a") as held:
        ran.append(held)
    with lock.held("conn-a", wait=False) as held:
        assert not held
    assert ran == [False]  # the block ran, without the lock
    assert "goes ahead without the lock" in caplog.text
