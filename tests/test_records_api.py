"""The read API: stored orders and products, newest modified first, paginated and filtered."""

import json

import pytest

from connections.webhooks import RECEIVER_PATH
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.test_receiver import post_delivery


@pytest.fixture
def orders(app, anonymous, run_jobs):
    """Five orders: ids 1..5, modified a minute apart, odd ones completed."""
    connection_id = make_connection()
    delivery = load_delivery("04")
    for number in range(1, 6):
        body = json.dumps(
            {**delivery.json(), "id": number, "status": "completed" if number % 2 else "processing",
             "date_modified_gmt": f"2026-11-27T11:0{number}:00"}
        ).encode()
        post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    run_jobs()
    return connection_id


def ids(response) -> list[str]:
    return [item["external_id"] for item in response.json["items"]]


def test_orders_come_newest_modified_first_in_pages(client, orders):
    first = client.get(f"/api/connections/{orders}/orders?per_page=2")
    assert ids(first) == ["5", "4"]
    assert (first.json["page"], first.json["per_page"], first.json["total"]) == (1, 2, 5)
    assert ids(client.get(f"/api/connections/{orders}/orders?per_page=2&page=3")) == ["1"]
    assert "line_items" not in first.json["items"][0]


def test_orders_filter_by_status_and_modification_time(client, orders):
    assert ids(client.get(f"/api/connections/{orders}/orders?status=processing")) == ["4", "2"]
    assert ids(client.get(f"/api/connections/{orders}/orders?modified_since=2026-11-27T11:04:00Z")) == ["5", "4"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("per_page=101", "per_page"), ("page=0", "page"), ("per_page=x", "per_page"), ("modified_since=soon", "modified_since")],
)
def test_bad_paging_and_filters_are_422(client, orders, query, field):
    response = client.get(f"/api/connections/{orders}/orders?{query}")
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_unknown_records_and_connections_are_404(client, orders):
    assert client.get(f"/api/connections/{orders}/orders/999").status_code == 404
    assert client.get(f"/api/connections/{orders}/products/999").status_code == 404
    assert client.get("/api/connections/nope/orders").status_code == 404


def test_openapi_document_lists_every_route(client, app):
    document = client.get("/openapi.json").json
    documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    # The console's HTML pages are not part of the HTTP API.
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] not in ("static", "console")}
    # The receiver answers in front of Flask, on the path the webhooks are registered with.
    routes.add(RECEIVER_PATH.replace("{", "<").replace("}", ">"))
    assert routes == documented
