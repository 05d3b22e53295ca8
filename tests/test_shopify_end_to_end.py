"""A Shopify shop connected through the real service: verified, subscribed, delivering, polled, uninstalled.

The emulator is reached as a real shop is: `*.myshopify.com` resolved to loopback in the
service's processes (tests/resolver.py), its certificate trusted through STORE_CA_BUNDLE.
"""

import json

import pytest
import requests

from stores.signatures import sign
from tests.conftest import ADMIN_TOKEN
from tests.resolver import loopback_myshopify, subprocess_environment
from tests.services import wait_until
from tests.shopify_emulator import ShopifyEmulator

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SCOPES = ["read_orders", "read_products", "read_all_orders"]


@pytest.fixture
def shop():
    with loopback_myshopify(), ShopifyEmulator(auto_deliver=False) as emulator:
        yield emulator


@pytest.fixture
def running(start_service, shop):
    """web + worker + clock, reaching the emulated shop as a real one."""
    extra = {**subprocess_environment(), "STORE_CA_BUNDLE": shop.ca_file}
    return start_service(web=True, workers=1, clock=True, extra=extra)


@pytest.fixture
def service(running):
    return running.url


def api(service: str, path: str) -> requests.Response:
    return requests.get(f"{service}/api/connections{path}", headers=ADMIN, timeout=10)


def connect(service: str, shop, token: str, secret: str) -> str:
    created = requests.post(
        f"{service}/api/connections",
        headers=ADMIN,
        json={"name": "Shopify E2E", "external_system": "shopify", "api_url": shop.base_url + "/admin",
              "access_token": token, "secret": secret, "order_start": "2020-01-01"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]
    wait_until(lambda: api(service, f"/{connection_id}").json()["webhooks_state"] == "active",
               timeout=60, interval=0.2, what="the worker subscribes the webhooks")
    return connection_id


def first_polls(service: str, connection_id: str) -> dict[str, str]:
    """How the first poll of each entity ended, once both have."""

    def finished():
        runs = api(service, f"/{connection_id}/sync-runs").json()["items"]
        done = {run["entity"]: run["status"] for run in runs if run["status"] in ("succeeded", "failed")}
        return done if len(done) == 2 else None

    return wait_until(finished, timeout=60, what="first polls")


@pytest.mark.parametrize("kind", ["legacy", "dev_dashboard"])
def test_a_shop_delivers_and_is_polled_into_stored_orders_and_products(running, service, shop, kind):
    app = shop.create_legacy_app(scopes=SCOPES) if kind == "legacy" else shop.create_dev_app(scopes=SCOPES)
    mug = shop.create_product(title="Mug", variants=[{"sku": "MUG-1", "price": "8.99"}])
    connection_id = connect(service, shop, app.access_token or app.client_id, app.secret)
    detail = api(service, f"/{connection_id}").json()
    assert detail["api_url"] == shop.base_url
    assert detail["auth_mode"] == ("admin_token" if kind == "legacy" else "client_credentials")
    topics = sorted(s.topic for s in shop.subscriptions(app))
    assert topics == sorted(["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_DELETE", "PRODUCTS_CREATE",
                             "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "APP_UNINSTALLED"])
    assert {s.uri for s in shop.subscriptions(app)} == {f"{service}/webhooks/shopify/{connection_id}"}

    order = shop.create_order(line_items=[{"variant_id": mug["variants"][0]["id"], "quantity": 2}])
    results = shop.deliver_pending()
    assert results and {result.status for result in results} == {202}

    def order_stored():
        response = api(service, f"/{connection_id}/orders/{order['id']}")
        return response.json() if response.status_code == 200 else None

    stored = wait_until(order_stored, timeout=30, what="the delivered order stored by the worker")
    assert stored["line_items"][0]["sku"] == "MUG-1"
    assert stored["line_items"][0]["quantity"] == 2

    assert first_polls(service, connection_id) == {"orders": "succeeded", "products": "succeeded"}
    products = api(service, f"/{connection_id}/products").json()["items"]
    assert str(mug["id"]) in {item["external_id"] for item in products}
    assert "MUG-1" in {item["sku"] for item in products}
    output = "".join(log.read_text(errors="replace") for log in running.processes.logs.glob("*.log"))
    assert "store POST" in output  # the logs are there, and say what was asked
    assert app.secret not in output
    assert not [token for token in shop.apps.tokens if token in output]  # granted or pasted, never logged


def test_hostile_deliveries_are_refused_and_an_uninstall_needs_attention(service, shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    connection_id = connect(service, shop, app.access_token, app.secret)
    url = f"{service}/webhooks/shopify/{connection_id}"
    body = json.dumps({"id": 1, "updated_at": "2026-11-27T10:00:00-05:00", "line_items": []}).encode()  # an order

    def post(signature: str, topic: str) -> requests.Response:
        headers = {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": topic, "Content-Type": "application/json"}
        return requests.post(url, data=body, headers=headers, timeout=10)

    assert post(sign(body, "not-the-secret"), "orders/create").status_code == 401
    assert post(sign(body, app.secret), "orders/paid").status_code == 400
    refused = post(sign(body, app.secret), "products/create")  # the topic is not signed: the mapper decides
    assert refused.status_code == 400 and "line_items" in refused.text

    shop.uninstall_app(app)
    assert {result.status for result in shop.deliver_pending()} == {202}
    wait_until(lambda: api(service, f"/{connection_id}/status").json()["needs_attention"],
               timeout=30, what="the uninstall marks the connection")


def test_a_product_delivery_stores_the_product_and_each_of_its_variants(service, shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    connection_id = connect(service, shop, app.access_token, app.secret)
    first_polls(service, connection_id)  # the next ones are minutes away: what is stored now came by delivery
    cup = shop.create_product(title="Cup", variants=[{"sku": "CUP-S", "price": "4.00", "option1": "S"},
                                                     {"sku": "CUP-L", "price": "5.00", "option1": "L"}])
    assert {result.status for result in shop.deliver_pending()} == {202}

    def stored_skus():
        items = api(service, f"/{connection_id}/products").json()["items"]
        return {item["sku"]: item for item in items} if {"CUP-S", "CUP-L"} <= {item["sku"] for item in items} else None

    variants = wait_until(stored_skus, timeout=30, what="the delivered product's variants stored")
    assert {variants[sku]["parent_external_id"] for sku in ("CUP-S", "CUP-L")} == {str(cup["id"])}


def test_newest_wins_duplicates_are_absorbed_deletions_confirmed_and_webhooks_healed(service, shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    connection_id = connect(service, shop, app.access_token, app.secret)
    first_polls(service, connection_id)
    shop.duplicate_probability = 1.0  # every delivery sent twice, as Shopify may
    order = shop.create_order(line_items=[{"title": "Thing", "price": "5.00", "quantity": 1}])
    shop.update_order(order["id"], note="first")
    shop.update_order(order["id"], note="second", financial_status="paid")
    assert {result.status for result in shop.deliver_pending()} <= {200, 202}

    def stored(status: str):
        response = api(service, f"/{connection_id}/orders/{order['id']}")
        return response.json() if response.status_code == 200 and response.json()["status"] == status else None

    wait_until(lambda: stored("processing"), timeout=30, what="the newest version stored")
    listed = api(service, f"/{connection_id}/orders").json()
    assert listed["total"] == 1

    shop.delete_order(order["id"])
    assert {result.status for result in shop.deliver_pending()} <= {200, 202}
    wait_until(lambda: api(service, f"/{connection_id}/orders/{order['id']}").json()["deleted"],
               timeout=30, what="the deletion confirmed with the shop and stored")

    shop.webhooks.remove(next(s for s in shop.subscriptions(app) if s.topic == "ORDERS_UPDATED").id)
    requests.post(f"{service}/api/connections/{connection_id}/sync", headers=ADMIN, json={"entity": "orders"}, timeout=10)
    wait_until(lambda: len(shop.subscriptions(app)) == 7, timeout=30, what="the poll re-subscribes the lost topic")
