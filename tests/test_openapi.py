"""`/openapi.json` against the service's real answers: every operation the document lists is
driven through the app (admin API, receiver, health, metrics) with the store emulator, and every
answer must have a status the operation documents and a body its schema for that status allows."""

import json
import re
from dataclasses import dataclass

import pytest
from jsonschema import Draft202012Validator

from api.attempts import FAILED_ATTEMPTS_PER_MINUTE
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.test_receiver import post_delivery

METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Exchange:
    """One request the app answered, as the client saw it."""

    method: str
    path: str
    status: int
    content_type: str
    body: bytes


class Recorder:
    """WSGI middleware that keeps every answer of the app (test clients and the live server alike)."""

    def __init__(self, app):
        self.app = app
        self.exchanges: list[Exchange] = []

    def __call__(self, environ, start_response):
        answer = {}

        def keep(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, keep)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        self.exchanges.append(
            Exchange(environ["REQUEST_METHOD"].lower(), environ["PATH_INFO"], answer["status"],
                     answer["headers"].get("Content-Type", ""), body)
        )
        return [body]


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """(method, path template) to the operation, for every operation in the document."""
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def template_of(path: str, templates) -> str | None:
    """The documented path template a request path matches (`/verify` before `/{connection_id}`)."""
    for template in sorted(templates, key=lambda template: (template.count("{"), template)):
        if re.fullmatch(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)), path):
            return template
    return None


def mismatches(document: dict, exchange: Exchange) -> list[str]:
    """What is wrong with one answer by the document: an undocumented operation or status, or a body its schema refuses."""
    known = operations(document)
    template = template_of(exchange.path, {path for _, path in known})
    where = f"{exchange.method.upper()} {exchange.path} -> {exchange.status}"
    operation = known.get((exchange.method, template))
    if operation is None:
        return [f"{where}: no such operation in the document"]
    response = operation["responses"].get(str(exchange.status))
    if response is None:
        return [f"{where}: status not documented (documented: {', '.join(operation['responses'])})"]
    content = response.get("content")
    if content is None:
        return [] if exchange.body == b"" else [f"{where}: documented without a body, but answered {exchange.body[:80]!r}"]
    media_type = exchange.content_type.split(";")[0]
    if media_type not in content:
        return [f"{where}: answered {media_type}, documented {', '.join(content)}"]
    body = json.loads(exchange.body) if media_type == "application/json" else exchange.body.decode()
    validator = Draft202012Validator({**content[media_type]["schema"], "components": document["components"]})
    return [f"{where}: {error.json_path}: {error.message}" for error in validator.iter_errors(body)]


@pytest.fixture
def recorder(app, monkeypatch):
    recording = Recorder(app.wsgi_app)
    monkeypatch.setattr(app, "wsgi_app", recording)
    return recording


@pytest.fixture
def document(client):
    return client.get("/openapi.json").json


def deliver(client, connection_id: str, secret: str, delivery_name: str, **changes):
    """A signed delivery of a captured body with `changes` applied."""
    delivery = load_delivery(delivery_name)
    body = json.dumps({**delivery.json(), **changes}).encode()
    return post_delivery(client, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, secret)})


def drive_connections(client, anonymous, store, connect) -> dict:
    """Verify, create, list, read, change: each with its errors."""
    credentials = {"api_url": store.base_url, "access_token": store.key, "secret": store.secret}
    assert client.post("/api/connections/verify", json=credentials).json["ok"] is True
    assert client.post("/api/connections/verify", json={**credentials, "secret": "cs_wrong"}).json["ok"] is False
    assert client.post("/api/connections/verify", json={}).status_code == 422
    assert anonymous.post("/api/connections/verify", json=credentials).status_code == 401
    connection = connect()
    body = {"name": "Again", "external_system": "woocommerce", **credentials}
    assert client.post("/api/connections", json=body).status_code == 409
    assert client.post("/api/connections", json={**body, "secret": "cs_wrong"}).status_code == 400
    assert client.post("/api/connections", json={**body, "name": ""}).status_code == 422
    assert client.get("/api/connections").status_code == 200
    one = f"/api/connections/{connection['id']}"
    assert client.get(one).status_code == 200
    assert client.get("/api/connections/nope").status_code == 404
    assert client.patch(one, json={"warehouse": None, "company_group": "North"}).status_code == 200
    assert client.patch(one, json={"secret": "cs_wrong"}).status_code == 400
    assert client.patch(one, json={"order_start": "soon"}).status_code == 422
    for attempt in range(FAILED_ATTEMPTS_PER_MINUTE):
        wrong = client.get(one, headers={"Authorization": f"Bearer guess-{attempt}"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
        assert wrong.status_code == 401
    assert client.get(one, environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 429
    return connection


def drive_records(client, anonymous, store, connection_id: str, run_jobs) -> None:
    """Orders (one whose status and an item's quantity are null, as the mapper allows) and products."""
    item = {**load_delivery("04").json()["line_items"][0], "quantity": None}
    assert deliver(anonymous, connection_id, store.secret, "04", status=None, line_items=[item]).status_code == 202
    assert deliver(anonymous, connection_id, store.secret, "04", status=None, line_items=[item]).json["status"] == "duplicate"
    store.create_variable_product("Shirt", {"Size": ["M", "L"]}, [{"attributes": {"Size": "M"}, "regular_price": "9"}])
    store.create_product(name="Mug", regular_price="4.50", manage_stock=True, stock_quantity=3)
    assert client.post(f"/api/connections/{connection_id}/sync", json={"entity": "products"}).status_code == 202
    run_jobs()
    base = f"/api/connections/{connection_id}"
    orders = client.get(f"{base}/orders").json["items"]
    assert orders[0]["status"] is None
    assert client.get(f"{base}/orders/{orders[0]['external_id']}").json["line_items"][0]["quantity"] is None
    assert client.get(f"{base}/orders?per_page=0").status_code == 422
    assert client.get(f"{base}/orders/999999").status_code == 404
    products = client.get(f"{base}/products").json["items"]
    assert any(product["parent_external_id"] for product in products)
    assert client.get(f"{base}/products/{products[0]['external_id']}").status_code == 200
    assert client.get(f"{base}/products?modified_since=soon").status_code == 422
    assert client.get(f"{base}/products/999999").status_code == 404
    # The change feed carries the same records: orders with a null status, products with their parents.
    changes = client.get("/api/changes?limit=1000").json["changes"]
    assert {change["entity"] for change in changes} == {"orders", "products"}
    assert client.get(f"/api/changes?entity=orders&connection={connection_id}").json["changes"]
    assert client.get("/api/changes?limit=0").status_code == 422


def drive_polling(client, connection_id: str, run_jobs) -> None:
    """Schedules, a sync now, its runs, and the status page."""
    base = f"/api/connections/{connection_id}"
    assert client.get(f"{base}/schedules").status_code == 200
    paused = client.put(f"{base}/schedules/orders", json={"interval_minutes": 30, "active": False})
    assert paused.json["next_poll_at"] is None
    assert client.put(f"{base}/schedules/orders", json={"interval_minutes": 0, "active": True}).status_code == 422
    assert client.put(f"{base}/schedules/invoices", json={"interval_minutes": 30, "active": True}).status_code == 404
    started = client.post(f"{base}/sync", json={"entity": "orders", "full": True})
    assert started.status_code == 202
    assert client.post(f"{base}/sync", json={"entity": "orders"}).json["created"] is False
    assert client.post(f"{base}/sync", json={"entity": "invoices"}).status_code == 422
    assert client.get(f"{base}/status").json["polling"]["orders"]["active_run"] is not None
    run_jobs()
    assert client.get(f"{base}/sync-runs").status_code == 200
    assert client.get(f"{base}/sync-runs/{started.json['run_id']}").json["status"] == "succeeded"
    assert client.get(f"{base}/sync-runs/nope").status_code == 404
    assert client.get(f"{base}/status").json["store"]["reachable"] is True
    unreachable = make_connection(api_url="http://127.0.0.1:9")
    assert client.get(f"/api/connections/{unreachable}/status").json["store"]["reachable"] is False
    assert client.get("/api/connections/nope/status").status_code == 404


def drive_receiver(anonymous, store, connection_id: str, app) -> None:
    """The receiver's refusals (the ping and 202s came with the registration and the records)."""
    assert post_delivery(anonymous, "nope", load_delivery("02")).status_code == 404
    assert post_delivery(anonymous, make_connection(deleted=True), load_delivery("02")).status_code == 410
    assert post_delivery(anonymous, connection_id, load_delivery("02")).status_code == 401
    garbage = b"not json"
    delivery = load_delivery("02")
    signed = {"X-WC-Webhook-Signature": sign(garbage, store.secret)}
    assert post_delivery(anonymous, connection_id, delivery, body=garbage, headers=signed).status_code == 400
    too_big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert post_delivery(anonymous, connection_id, delivery, body=too_big).status_code == 413


def drive_missing_connection(client, document) -> None:
    """Every operation on a connection, on one that does not exist."""
    for method, path in operations(document):
        if path.startswith("/api/connections/{connection_id}"):
            url = path.format(connection_id="nope", external_id="1", entity="orders", run_id="nope")
            body = {"interval_minutes": 30, "active": True} if method == "put" else {"entity": "orders"}
            answer = client.open(url, method=method.upper(), json=body if method in ("put", "post", "patch") else None)
            assert answer.status_code == 404, (method, path)


def drive_service(client, anonymous) -> None:
    """Health, readiness, metrics and the document itself."""
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert anonymous.get("/openapi.json").status_code == 200


def test_every_operation_answers_as_its_document_says(app, client, anonymous, store, connect, run_jobs, recorder, document):
    connection = drive_connections(client, anonymous, store, connect)
    drive_records(client, anonymous, store, connection["id"], run_jobs)
    drive_polling(client, connection["id"], run_jobs)
    drive_receiver(anonymous, store, connection["id"], app)
    drive_service(client, anonymous)
    drive_missing_connection(client, document)
    assert client.delete(f"/api/connections/{connection['id']}").status_code == 204
    assert client.delete(f"/api/connections/{connection['id']}").status_code == 404

    problems = [problem for exchange in recorder.exchanges for problem in mismatches(document, exchange)]
    assert problems == []
    exercised = {(e.method, template_of(e.path, document["paths"])) for e in recorder.exchanges}
    assert set(operations(document)) - exercised == set()
    # An error status of every family: a refusal of input (422) and a missing connection (404).
    statuses = {(e.method, template_of(e.path, document["paths"]), e.status) for e in recorder.exchanges}
    for method, path in operations(document):
        if path.startswith("/api/connections/{connection_id}"):
            assert (method, path, 404) in statuses, (method, path)


def test_the_check_refuses_what_the_document_does_not_allow(client, document):
    order = {"external_id": "1", "deleted": "no"}
    answer = Exchange("get", "/api/connections/abc/orders/1", 200, "application/json", json.dumps(order).encode())
    problems = mismatches(document, answer)
    assert any("'no' is not of type 'boolean'" in problem for problem in problems)
    assert any("'modified_at' is a required property" in problem for problem in problems)
    teapot = Exchange("get", "/healthz", 418, "application/json", b"{}")
    assert mismatches(document, teapot) == ["GET /healthz -> 418: status not documented (documented: 200)"]
    assert mismatches(document, Exchange("get", "/nowhere", 200, "", b"")) == ["GET /nowhere -> 200: no such operation in the document"]
