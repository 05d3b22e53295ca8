"""Webhooks that cannot arrive are said so: at creation (PUBLIC_URL a public store cannot reach),
and once polls keep storing changes no delivery brought (`GET .../status`, the console)."""


import pytest

from connections import reachability
from connections.delivery_gap import ADVICE, UNDELIVERED_POLLS
from connections.reachability import delivery_warnings
from stores import urls
from stores.registry import WOOCOMMERCE, connector_for
from tests.test_cli import storelink
from tests.test_console import csrf_of, post, sign_in
from tests.test_console import form as console_form

PUBLIC_STORE = "https://93.184.215.14"


@pytest.fixture
def store(clocked_store):
    """An emulator whose clock the test moves: each change is a newer version."""
    return clocked_store


@pytest.mark.parametrize(
    ("public_url", "api_url", "expected"),
    [
        ("http://localhost:5000", PUBLIC_STORE, ["a loopback address (127.0.0.1)", "uses port 5000"]),
        ("https://10.1.2.3", PUBLIC_STORE, ["a private address (10.1.2.3)"]),
        ("https://192.168.1.9:8080", PUBLIC_STORE, ["a private address (192.168.1.9)"]),
        ("https://93.184.215.15:8443", PUBLIC_STORE, ["uses port 8443"]),
        ("https://93.184.215.15", PUBLIC_STORE, []),
        ("http://93.184.215.15:8080", PUBLIC_STORE, []),
        ("http://93.184.215.15:8443", "https://93.184.215.14:8443", []),  # the store's own port is allowed
        ("http://localhost:5000", "http://127.0.0.1:8090", []),  # a store on this machine may reach it
        ("http://localhost:5000", "https://shop.invalid", []),  # cannot tell: no warning
    ],
)
def test_a_public_url_a_public_store_cannot_reach_is_warned_about(public_url, api_url, expected):
    warnings = delivery_warnings(public_url, api_url, connector_for(WOOCOMMERCE))
    assert len(warnings) == len(expected), warnings
    for warning, part in zip(warnings, expected, strict=True):
        assert part in warning and public_url in warning


@pytest.fixture
def public_store(store, monkeypatch):
    """DNS answers a public address for the store (the emulator listens on loopback)."""
    real = urls.resolve
    monkeypatch.setattr(reachability, "resolve", lambda host, port: ["93.184.215.14"] if port == store.port else real(host, port))
    return store


def test_creating_a_connection_answers_warnings_when_public_url_cannot_be_reached(client, store, public_store):
    body = {"name": "Shop", "external_system": "woocommerce", "api_url": store.base_url,
            "access_token": store.key, "secret": store.secret}
    created = client.post("/api/connections", json=body)
    assert created.status_code == 201
    loopback, port = created.json["warnings"]  # PUBLIC_URL is the test's loopback server, on a spare port
    assert "a loopback address (127.0.0.1)" in loopback and "webhooks will not arrive" in loopback
    assert "only to ports 80, 443 and 8080" in port
    assert "warnings" not in client.get(created.headers["Location"]).json


def test_creating_a_connection_to_a_store_on_this_network_answers_no_warning(client, store):
    body = {"name": "Shop", "external_system": "woocommerce", "api_url": store.base_url,
            "access_token": store.key, "secret": store.secret}
    assert client.post("/api/connections", json=body).json["warnings"] == []


def test_the_console_warns_after_saving_when_public_url_cannot_be_reached(app, store, public_store):
    console = app.test_client()
    sign_in(console)
    page = post(console, "/connections/new", {**console_form(store), "action": "verify"}, page="/connections/new")
    saved = console.post("/connections/new", data={**console_form(store), "action": "save", "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert saved.status_code == 302
    detail = console.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'class="banner banner-warning" role="alert">PUBLIC_URL (http://127.0.0.1:' in detail


def poll_orders(client, connection_id: str, run_jobs) -> int:
    run = client.post(f"/api/connections/{connection_id}/sync", json={"entity": "orders"}).json
    run_jobs()
    return client.get(f"/api/connections/{connection_id}/sync-runs/{run['run_id']}").json["records"]


def test_polls_that_keep_storing_changes_no_delivery_brought_flag_the_connection(app, client, store, connect, run_jobs):
    connection_id = connect()["id"]
    status = f"/api/connections/{connection_id}/status"
    order = store.create_order(line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}])
    assert poll_orders(client, connection_id, run_jobs) == 1  # the first poll brings what was there: not counted
    # The store queues its deliveries, but they never reach us (run_cron is not called).
    for number, order_status in enumerate(["completed", "refunded", "processing"][:UNDELIVERED_POLLS], start=1):
        assert client.get(status).json["undelivered_changes"] is None
        store.clock.advance(1)
        store.update_order(order["id"], status=order_status)
        assert poll_orders(client, connection_id, run_jobs) == 1, f"poll {number} stored the change"

    flagged = client.get(status).json["undelivered_changes"]
    assert flagged["polls"] == UNDELIVERED_POLLS and flagged["records"] == UNDELIVERED_POLLS
    assert flagged["message"].startswith(ADVICE + ". No delivery has arrived since the connection was created")
    console = app.test_client()
    sign_in(console)
    assert "Webhooks are not arriving" in console.get(f"/connections/{connection_id}").get_data(as_text=True)
    assert "Webhooks not arriving</span>" in console.get("/").get_data(as_text=True)  # the list's Health column
    code, listed = storelink("connections", "list")
    assert code == 0 and "ATTENTION" in listed and "webhooks not arriving" in listed
    code, shown = storelink("connections", "show", connection_id)
    assert code == 0 and f"webhooks not arriving: {ADVICE}." in shown

    store.run_cron()  # deliveries arrive after all
    run_jobs()
    assert client.get(status).json["undelivered_changes"] is None
    assert "Webhooks are not arriving" not in console.get(f"/connections/{connection_id}").get_data(as_text=True)
    assert "Webhooks not arriving" not in console.get("/").get_data(as_text=True)
    code, listed = storelink("connections", "list")
    assert "webhooks not arriving" not in listed and "  ok  " in listed
    assert "webhooks not arriving" not in storelink("connections", "show", connection_id)[1]


def test_polls_that_store_nothing_new_never_flag_the_connection(client, store, connect, run_jobs):
    connection_id = connect()["id"]
    for _ in range(UNDELIVERED_POLLS + 1):
        store.clock.advance(1)
        store.create_order(line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}])
        store.run_cron()  # delivered before the poll: the poll finds it stored
        run_jobs()
        assert poll_orders(client, connection_id, run_jobs) in (0, 1)
    assert client.get(f"/api/connections/{connection_id}/status").json["undelivered_changes"] is None
