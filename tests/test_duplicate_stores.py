"""One connection per store and consumer key: a second is refused (409 duplicate_store), races included."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from connections.identity import store_key_fingerprint
from tests.conftest import ADMIN_TOKEN
from tests.services import wait_until
from tests.test_console import csrf_of, form, post, sign_in, text
from tests.woo_emulator import WooEmulator

PARALLEL_CREATES = 20


def body_for(store, **overrides) -> dict:
    return {
        "name": "Shop",
        "external_system": "woocommerce",
        "api_url": store.base_url,
        "access_token": store.key,
        "secret": store.secret,
        **overrides,
    }


def test_parallel_creates_of_one_store_make_one_connection_and_its_webhooks_only(start_service, store):
    service = start_service(workers=1)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def create(number: int) -> requests.Response:
        body = body_for(store, name=f"Shop {number}")
        return requests.post(f"{service.url}/api/connections", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=PARALLEL_CREATES) as pool:
        answers = list(pool.map(create, range(PARALLEL_CREATES)))
    created = [answer.json() for answer in answers if answer.status_code == 201]
    refused = [answer.json()["error"] for answer in answers if answer.status_code == 409]
    assert len(created) == 1, [answer.status_code for answer in answers]
    assert len(refused) == PARALLEL_CREATES - 1, [(answer.status_code, answer.text[:300]) for answer in answers if answer.status_code != 409]
    assert {error["code"] for error in refused} == {"duplicate_store"}
    assert {error["connection_id"] for error in refused} == {created[0]["id"]}
    assert all(created[0]["id"] in error["message"] for error in refused)
    listed = requests.get(f"{service.url}/api/connections", headers=headers, timeout=10).json()["items"]
    assert [item["id"] for item in listed] == [created[0]["id"]]
    detail = f"{service.url}/api/connections/{created[0]['id']}"
    wait_until(
        lambda: requests.get(detail, headers=headers, timeout=10).json()["webhooks_state"] == "active",
        timeout=60,
        interval=0.5,
        what="the worker registers the webhooks",
    )
    urls = {hook.delivery_url for hook in store.webhooks.items.values()}
    assert len(store.webhooks.items) == 8
    assert urls == {f"{service.url}/webhooks/woocommerce/{created[0]['id']}"}


def test_another_spelling_of_the_same_store_is_a_duplicate(client, store, connect):
    first = connect()
    response = client.post("/api/connections", json=body_for(store, api_url=store.base_url.upper() + "/wp-json/wc/v3/"))
    assert response.status_code == 409
    assert response.json["error"]["connection_id"] == first["id"]
    assert store.secret not in response.get_data(as_text=True)
    assert len(store.webhooks.items) == 8


def test_fingerprints_ignore_scheme_case_default_port_and_pasted_rest_paths():
    key = "ck_" + "1" * 40
    same = {
        store_key_fingerprint(url, key)
        for url in ("https://Shop.example.com", "http://shop.example.com:80/", "https://shop.example.com:443/wp-json/wc/v3")
    }
    assert len(same) == 1
    assert store_key_fingerprint("https://shop.example.com/de", key) not in same
    assert store_key_fingerprint("https://shop.example.com:8443", key) not in same
    assert store_key_fingerprint("https://shop.example.com", "ck_" + "2" * 40) not in same


def test_another_key_of_the_same_store_is_another_connection(client, store, connect):
    connect()
    store.key, store.secret = store.new_key()
    assert client.post("/api/connections", json=body_for(store)).status_code == 201


def test_a_deleted_connections_store_can_be_connected_again(client, store, connect):
    first = connect()
    assert client.delete(f"/api/connections/{first['id']}").status_code == 204
    assert client.post("/api/connections", json=body_for(store)).status_code == 201


def test_a_key_change_moves_the_fingerprint_with_it(client, store, connect):
    connection = connect()
    old_key, old_secret = store.key, store.secret
    store.key, store.secret = store.new_key()
    patched = client.patch(f"/api/connections/{connection['id']}", json={"access_token": store.key, "secret": store.secret})
    assert patched.status_code == 200, patched.json
    assert client.post("/api/connections", json=body_for(store)).status_code == 409
    again = client.post("/api/connections", json=body_for(store, access_token=old_key, secret=old_secret))
    assert again.status_code == 201, again.json


def test_changing_keys_to_another_connections_store_is_refused_and_changes_nothing(client, store, connect):
    first = connect()
    with WooEmulator() as other_store:
        other_store.key, other_store.secret = other_store.new_key()
        second = client.post("/api/connections", json=body_for(other_store)).json
        hooks_before = dict(other_store.webhooks.items)
        response = client.patch(
            f"/api/connections/{second['id']}",
            json={"api_url": store.base_url, "access_token": store.key, "secret": store.secret},
        )
        assert response.status_code == 409
        assert response.json["error"] == {
            "code": "duplicate_store", "message": response.json["error"]["message"], "connection_id": first["id"],
        }
        assert client.get(f"/api/connections/{second['id']}").json["api_url"] == other_store.base_url
        assert other_store.webhooks.items == hooks_before  # the old store's webhooks stayed
    assert len(store.webhooks.items) == 8


@pytest.fixture
def console(app):
    """A browser-like client, signed in."""
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    return browser


def test_the_console_names_the_connection_that_has_the_store(console, client, store, connect):
    first = connect()
    verified = post(console, "/connections/new", {**form(store), "action": "verify"}, page="/connections/new")
    saved = console.post("/connections/new", data={**form(store), "action": "save", "csrf_token": csrf_of(text(verified))})
    assert (saved.status_code, saved.mimetype) == (409, "text/html")  # the form again, not the API's JSON
    assert first["id"] in text(saved)
    assert len(client.get("/api/connections").json["items"]) == 1


def test_the_console_edit_form_refuses_another_connections_store(console, client, store, connect):
    first = connect()
    with WooEmulator() as other_store:
        other_store.key, other_store.secret = other_store.new_key()
        second = client.post("/api/connections", json=body_for(other_store)).json
        edit = f"/connections/{second['id']}/edit"
        values = {"name": "Shop", "api_url": store.base_url, "access_token": store.key, "secret": store.secret}
        saved = post(console, edit, values, page=edit)
        assert (saved.status_code, saved.mimetype) == (409, "text/html")
        assert first["id"] in text(saved)
        assert client.get(f"/api/connections/{second['id']}").json["api_url"] == other_store.base_url
