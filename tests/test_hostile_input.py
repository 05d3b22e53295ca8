"""Hostile and broken input: a clear status, nothing stored or changed, no secret anywhere."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from db.models import Connection
from db.session import transaction
from stores.signatures import sign
from stores.woocommerce.client import WooCommerceClient
from stores.woocommerce.errors import StoreError
from stores.woocommerce.verify import verify_store
from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.test_event_jobs import deliver
from tests.test_receiver import post_delivery, queued
from webhooks.receiver import EXTENSION as RECEIVER


def test_empty_signed_body_is_400(anonymous, app, redis_client):
    connection_id = make_connection()
    delivery = load_delivery("02")
    response = post_delivery(anonymous, connection_id, delivery, body=b"", headers={"X-WC-Webhook-Signature": sign(b"", delivery.secret)})
    assert response.status_code == 400
    assert queued(redis_client) == 0


def test_signed_json_that_is_not_utf8_is_400(anonymous, app, redis_client):
    connection_id = make_connection()
    delivery = load_delivery("02")
    body = delivery.body.decode().encode("utf-16")  # JSON all the same, to a lenient parser
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"
    assert queued(redis_client) == 0


def test_non_ascii_signature_header_is_401(app, redis_client):
    connection_id = make_connection()
    delivery = load_delivery("02")
    # Raw WSGI, so the header reaches the app as the bytes a client sent (latin-1 decoded).
    environ_headers = {"HTTP_X_WC_WEBHOOK_SIGNATURE": "sig\xe9\xe8", "HTTP_X_WC_WEBHOOK_TOPIC": "order.created"}
    response = app.test_client().post(
        f"/webhooks/woocommerce/{connection_id}", data=delivery.body, environ_base=environ_headers,
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json["error"]["message"] == "signature header is not ASCII"
    assert queued(redis_client) == 0


class _Redirector:
    """A store that answers every request with a redirect to the cloud metadata address."""

    def __enter__(self):
        app = lambda environ, start: Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})(environ, start)  # noqa: E731
        self.server = make_server("127.0.0.1", 0, app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_store_redirects_are_reported_never_followed():
    with _Redirector() as store:
        with pytest.raises(StoreError) as raised:
            verify_store(store.url, "ck_x", "cs_y", timeout=3)
    assert raised.value.code == "unexpected_response"
    assert "redirects to http://169.254.169.254/latest/meta-data/" in raised.value.message


def test_every_request_rechecks_that_the_store_is_public(store):
    # Verified when public, the name now resolves to loopback (DNS rebinding): refused before sending.
    client = WooCommerceClient(store.base_url, store.key, store.secret, "oauth1", allow_private=False)
    with client, pytest.raises(StoreError) as raised:
        client.get("system_status")
    assert "non-public address" in raised.value.message
    assert store.requests == []


def test_deliveries_signed_with_the_old_secret_verify_during_the_grace_period(client, anonymous, store, connect, environment, app):
    connection = connect()
    old_secret = store.secret
    key, secret = store.new_key()
    assert client.patch(f"/api/connections/{connection['id']}", json={"access_token": key, "secret": secret}).status_code == 200
    delivery = load_delivery("04")
    old = post_delivery(anonymous, connection["id"], delivery, headers={"X-WC-Webhook-Signature": sign(delivery.body, old_secret)})
    new = post_delivery(anonymous, connection["id"], load_delivery("06"), headers={"X-WC-Webhook-Signature": sign(load_delivery("06").body, secret)})
    assert (old.status_code, new.status_code) == (202, 202)
    with transaction(environment["DATABASE_URL"]) as session:
        row = session.query(Connection).filter_by(public_id=connection["id"]).one()
        row.previous_secret_until = datetime.now(UTC) - timedelta(seconds=1)
    app.extensions[RECEIVER].connections.clear()  # the receiver re-reads connections every few seconds
    expired = post_delivery(anonymous, connection["id"], load_delivery("07"), headers={"X-WC-Webhook-Signature": sign(load_delivery("07").body, old_secret)})
    assert expired.status_code == 401


def test_no_secret_reaches_any_log(client, anonymous, store, connect, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    connection = connect()
    store.create_order()
    store.run_cron()
    run_jobs()
    client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "orders"})
    run_jobs()
    client.post("/api/connections", json={"name": "x", "external_system": "woocommerce", "api_url": store.base_url, "access_token": store.key, "secret": "cs_wrong"})
    key, secret = store.new_key()
    client.patch(f"/api/connections/{connection['id']}", json={"access_token": key, "secret": secret})
    client.delete(f"/api/connections/{connection['id']}")
    anonymous.get("/api/connections", headers={"Authorization": "Bearer wrong-" + ADMIN_TOKEN})
    # The emulator's own HTTP server logs full request URLs as a store's web server would; ours never does.
    ours = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("werkzeug"))
    for secret_value in (store.secret, store.key, secret, key, ADMIN_TOKEN, SECRET_KEY, "oauth_signature"):
        assert secret_value not in ours


def test_nul_characters_in_a_delivery_are_stored_as_replacement_characters(app, anonymous, client, run_jobs):
    # PostgreSQL text cannot hold NUL; a store's odd product name must not cost the order.
    connection_id = make_connection()
    order = load_delivery("04").json()
    line_items = [{**order["line_items"][0], "name": "Mug\x00XL"}]
    assert deliver(anonymous, connection_id, "04", line_items=line_items, payment_method="cod\x00").status_code == 202
    run_jobs()
    stored = client.get(f"/api/connections/{connection_id}/orders/93").json
    assert stored["line_items"][0]["name"] == "Mug\ufffdXL"
    assert stored["payment_method"] == "cod\ufffd"


@pytest.mark.parametrize("field", ["name", "warehouse", "company_group"])
def test_nul_characters_in_connection_fields_are_refused_by_name(client, field):
    connection_id = make_connection()
    response = client.patch(f"/api/connections/{connection_id}", json={field: "Stock\x00holm"})
    assert response.status_code == 422
    assert response.json["errors"][field] == ["must not contain control characters"]
    assert client.get(f"/api/connections/{connection_id}").json[field] != "Stock\x00holm"


def errors_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_admin_body_nested_too_deeply_to_read_is_422(client, caplog):
    response = client.post("/api/connections", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 422
    assert response.json["errors"] == {"_schema": ["the request body is nested too deeply to read"]}
    assert not errors_logged(caplog)


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"])
def test_times_that_leave_the_calendar_in_utc_are_422_by_name(client, moment, caplog):
    connection_id = make_connection()
    range_error = ["must fall between 0001-01-01 and 9999-12-31 once converted to UTC"]
    created = client.post("/api/connections", json={"order_start": moment})
    assert (created.status_code, created.json["errors"]["order_start"]) == (422, range_error)
    patched = client.patch(f"/api/connections/{connection_id}", json={"order_start": moment})
    assert (patched.status_code, patched.json["errors"]) == (422, {"order_start": range_error})
    listed = client.get(f"/api/connections/{connection_id}/orders", query_string={"modified_since": moment})
    assert (listed.status_code, listed.json["errors"]) == (422, {"modified_since": range_error})
    assert not errors_logged(caplog)


@pytest.mark.parametrize(
    "path",
    [
        "/api/connections/abc%00def",
        "/api/connections/{id}/orders/93%00",
        "/api/connections/{id}/products/93%00",
        "/api/connections/{id}/sync-runs/abc%00def",
        "/api/connections/{id}/orders/" + "9" * 65,
        "/api/connections/" + "a" * 33,
    ],
)
def test_malformed_ids_are_404_before_any_query(client, path, caplog):
    # PostgreSQL cannot compare text holding a NUL: the query itself failed (500).
    response = client.get(path.format(id=make_connection()))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert not errors_logged(caplog)


def test_a_delivery_to_a_malformed_connection_id_is_404_before_any_query(anonymous, app, caplog, redis_client):
    # On PostgreSQL this was a 503 "database unavailable" with an ERROR traceback, unauthenticated.
    response = post_delivery(anonymous, "abc%00def", load_delivery("02"))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert queued(redis_client) == 0
    assert not errors_logged(caplog)
