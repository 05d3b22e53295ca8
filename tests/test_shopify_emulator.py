"""The Shopify emulator answers as the facts sheet says Shopify does (/work/shared/facts/shopify.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading

import pytest
import requests

from stores.transport import CheckedAddressAdapter
from stores.urls import StoreUrlError, check_store_url
from tests.resolver import loopback_myshopify, subprocess_environment
from tests.services import wait_until
from tests.shopify_emulator import API_VERSION, ManualClock, ShopifyEmulator
from tests.woo_emulator import CaptureServer

SHOP_QUERY = "{ shop { name myshopifyDomain currencyCode ianaTimezone } currentAppInstallation { accessScopes { handle } } }"
ORDERS_PAGE = """query ($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}"""


@pytest.fixture
def clock():
    return ManualClock("2026-11-27T10:00:00Z")


@pytest.fixture
def shop(clock):
    with loopback_myshopify(), ShopifyEmulator(clock=clock, auto_deliver=False, retry_delays=(60,) * 8) as emulator:
        yield emulator


@pytest.fixture
def http(shop):
    with requests.Session() as session:
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
        session.verify = shop.ca_file
        yield session


@pytest.fixture
def app(shop):
    return shop.create_legacy_app(scopes=["read_orders", "read_products"])


@pytest.fixture
def receiver():
    with CaptureServer() as server:
        yield server


def gql(http, shop, token, query, variables=None, version=API_VERSION):
    """POST a query; the response."""
    return http.post(shop.graphql_url(version), json={"query": query, "variables": variables},
                     headers={"X-Shopify-Access-Token": token} if token else {})


def data(response):
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def error_codes(response):
    return [error.get("extensions", {}).get("code") for error in response.json()["errors"]]


def expected_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# -- reaching the shop ------------------------------------------------------------------------


def test_the_shop_is_reached_by_its_myshopify_name_over_tls_checked_against_that_name(shop, http, app):
    assert shop.base_url.startswith("https://storelink-test.myshopify.com:")
    response = gql(http, shop, app.access_token, SHOP_QUERY)
    assert response.headers["X-Shopify-API-Version"] == API_VERSION
    assert data(response) == {
        "shop": {"name": "Storelink test shop", "myshopifyDomain": "storelink-test.myshopify.com",
                 "currencyCode": "USD", "ianaTimezone": "America/New_York"},
        "currentAppInstallation": {"accessScopes": [{"handle": "read_orders"}, {"handle": "read_products"}]},
    }
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(shop.graphql_url(), json={"query": SHOP_QUERY}, verify=True)  # the system CAs do not know it


def test_the_resolver_override_applies_to_storelinks_checked_transport(shop, app):
    with requests.Session() as session:
        session.trust_env = False
        session.mount("https://", CheckedAddressAdapter(allow_private=True))
        response = session.post(shop.graphql_url(), json={"query": "{ shop { name } }"}, verify=shop.ca_file,
                                headers={"X-Shopify-Access-Token": app.access_token})
        assert data(response) == {"shop": {"name": "Storelink test shop"}}
        session.mount("https://", CheckedAddressAdapter(allow_private=False))
        with pytest.raises(StoreUrlError):
            session.post(shop.graphql_url(), json={"query": "{ shop { name } }"}, verify=shop.ca_file)
    check_store_url(shop.base_url, allow_private=True)
    with pytest.raises(StoreUrlError, match="non-public address"):
        check_store_url(shop.base_url, allow_private=False)


def test_the_resolver_override_maps_only_myshopify_names():
    with loopback_myshopify():
        assert {info[4][0] for info in socket.getaddrinfo("any-shop.myshopify.com", 443)} == {"127.0.0.1"}
        assert {info[4][0] for info in socket.getaddrinfo("localhost", 80, socket.AF_INET)} == {"127.0.0.1"}
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("myshopify.com.invalid", 443)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("any-shop.myshopify.com.invalid", 443)


def test_an_unsupported_version_falls_forward_and_a_knob_serves_another(shop, http, app):
    assert gql(http, shop, app.access_token, "{ shop { name } }", version="2024-01").headers[
        "X-Shopify-API-Version"] == "2026-01"
    assert gql(http, shop, app.access_token, "{ shop { name } }", version="2026-07").headers[
        "X-Shopify-API-Version"] == "2026-07"
    assert gql(http, shop, app.access_token, "{ shop { name } }", version="latest").status_code == 404
    shop.serve_version = "2027-01"
    assert gql(http, shop, app.access_token, "{ shop { name } }").headers["X-Shopify-API-Version"] == "2027-01"


# -- GraphQL validation and errors ------------------------------------------------------------


def test_an_unknown_field_is_a_graphql_error_worded_as_shopify_words_it(shop, http, app):
    response = gql(http, shop, app.access_token, "{ shop { name colour } }")
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"] == "Field 'colour' doesn't exist on type 'Shop'"
    assert body["errors"][0]["extensions"] == {"code": "undefinedField", "typeName": "Shop", "fieldName": "colour"}


def test_unknown_arguments_syntax_errors_and_missing_queries_are_refused(shop, http, app):
    response = gql(http, shop, app.access_token, "{ orders(first: 1, colour: 2) { nodes { id } } }")
    assert error_codes(response) == ["argumentNotAccepted"]
    assert "errors" in gql(http, shop, app.access_token, "{ shop { name ").json()
    response = http.post(shop.graphql_url(), json={"variables": {}}, headers={"X-Shopify-Access-Token": app.access_token})
    assert (response.status_code, response.json()) == (400, {"errors": {"query": "Required parameter missing or invalid"}})


def test_a_bad_or_missing_token_is_401_with_shopifys_body(shop, http):
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    for token in ("shpat_" + "0" * 32, None):
        response = gql(http, shop, token, "{ shop { name } }")
        assert (response.status_code, response.json()) == (401, expected)


def test_a_missing_scope_is_access_denied_naming_the_scope(shop, http):
    app = shop.create_legacy_app(scopes=["read_products"])
    response = gql(http, shop, app.access_token, "{ orders(first: 1) { nodes { id } } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None and error_codes(response) == ["ACCESS_DENIED"]
    assert body["errors"][0]["message"] == (
        "Access denied for orders field. Required access: `read_orders` access scope.")


def test_orders_older_than_60_days_need_read_all_orders(shop, http, app, clock):
    old = shop.create_order(created_at="2026-08-01T00:00:00Z")
    recent = shop.create_order()
    query = "{ orders(first: 10) { nodes { legacyResourceId } } }"
    ids = [n["legacyResourceId"] for n in data(gql(http, shop, app.access_token, query))["orders"]["nodes"]]
    assert ids == [str(recent["id"])]
    assert data(gql(http, shop, app.access_token, f'{{ node(id: "{old["admin_graphql_api_id"]}") {{ id }} }}')) == {
        "node": None}
    shop.set_scopes(app, ["read_orders", "read_products", "read_all_orders"])
    ids = [n["legacyResourceId"] for n in data(gql(http, shop, app.access_token, query))["orders"]["nodes"]]
    assert ids == [str(old["id"]), str(recent["id"])]


# -- reading records --------------------------------------------------------------------------


def test_orders_page_by_updated_at_with_cursors_and_the_search_filter(shop, http, app, clock):
    orders = []
    for _ in range(7):
        orders.append(shop.create_order())
        clock.advance(60)
    shop.update_order(orders[1]["id"], note="changed")  # now the most recently updated
    since = "2026-11-27T10:01:00Z"
    seen, after = [], None
    while True:
        page = data(gql(http, shop, app.access_token, ORDERS_PAGE,
                        {"first": 2, "after": after, "query": f"updated_at:>='{since}'"}))["orders"]
        seen += [node["legacyResourceId"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [str(o["id"]) for o in orders[2:]] + [str(orders[1]["id"])]
    for query, count in (("updated_at:>='2026-11-27T10:02:00Z'", 6), ("updated_at:>'2026-11-27T10:02:00Z'", 5)):
        page = data(gql(http, shop, app.access_token, ORDERS_PAGE, {"first": 250, "query": query}))
        assert len(page["orders"]["nodes"]) == count


def test_page_size_is_limited_to_250_and_first_or_last_is_required(shop, http, app):
    response = gql(http, shop, app.access_token, "{ orders(first: 251) { nodes { id } } }")
    assert "250" in response.json()["errors"][0]["message"]
    response = gql(http, shop, app.access_token, "{ orders { nodes { id } } }")
    assert response.json()["errors"][0]["message"] == "you must provide one of first or last"


def test_orders_carry_money_bags_statuses_and_line_items(shop, http, app):
    product = shop.create_product(title="Mug", variants=[{"sku": "MUG-1", "price": "8.99"}])
    order = shop.create_order(
        line_items=[{"variant_id": product["variants"][0]["id"], "quantity": 2}], shipping_price="5",
        presentment_currency="EUR", exchange_rate="0.5", financial_status="partially_refunded",
        fulfillment_status="partial",
    )
    query = f"""{{ order(id: "{order['admin_graphql_api_id']}") {{
        displayFinancialStatus displayFulfillmentStatus
        totalPriceSet {{ shopMoney {{ amount currencyCode }} presentmentMoney {{ amount currencyCode }} }}
        lineItems(first: 5) {{ nodes {{ sku quantity variant {{ legacyResourceId }} product {{ title }} }} }} }} }}"""
    assert data(gql(http, shop, app.access_token, query))["order"] == {
        "displayFinancialStatus": "PARTIALLY_REFUNDED", "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "22.98", "currencyCode": "USD"},
                          "presentmentMoney": {"amount": "11.49", "currencyCode": "EUR"}},
        "lineItems": {"nodes": [{"sku": "MUG-1", "quantity": 2,
                                 "variant": {"legacyResourceId": str(product["variants"][0]["id"])},
                                 "product": {"title": "Mug"}}]},
    }


def test_products_with_more_than_100_variants_page_through_their_variants(shop, http, app):
    product = shop.create_product(title="Poster", variants=[{"sku": f"P-{n}", "option1": f"Size {n}"} for n in range(130)])
    query = """query ($id: ID!, $after: String) { product(id: $id) { variantsCount { count }
        variants(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { sku } } } }"""
    first = data(gql(http, shop, app.access_token, query, {"id": product["admin_graphql_api_id"]}))["product"]
    assert first["variantsCount"] == {"count": 130} and first["variants"]["pageInfo"]["hasNextPage"]
    rest = data(gql(http, shop, app.access_token, query, {"id": product["admin_graphql_api_id"],
                                                          "after": first["variants"]["pageInfo"]["endCursor"]}))
    skus = [v["sku"] for v in first["variants"]["nodes"] + rest["product"]["variants"]["nodes"]]
    assert skus == [f"P-{n}" for n in range(130)]


def test_deleted_records_read_as_null_by_gid(shop, http, app):
    product = shop.create_product(title="Gone")
    order = shop.create_order()
    kept = shop.create_order()
    shop.delete_product(product["id"])
    shop.delete_order(order["id"])
    ids = [product["admin_graphql_api_id"], order["admin_graphql_api_id"], kept["admin_graphql_api_id"]]
    nodes = data(gql(http, shop, app.access_token, "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}))
    assert nodes == {"nodes": [None, None, {"id": kept["admin_graphql_api_id"]}]}
    with pytest.raises(KeyError):
        shop.get_order(order["id"])


# -- cost and throttling ----------------------------------------------------------------------


def test_costs_are_reported_and_a_short_bucket_throttles_until_it_refills(shop, http, app, clock):
    for _ in range(50):
        shop.create_order()
    shop.bucket_size, shop.restore_rate = 60, 10
    query = "{ orders(first: 50) { nodes { id } } }"  # 2 + 50 * 1
    first = gql(http, shop, app.access_token, query).json()
    assert first["extensions"]["cost"] == {
        "requestedQueryCost": 52, "actualQueryCost": 52,
        "throttleStatus": {"maximumAvailable": 60.0, "currentlyAvailable": 8, "restoreRate": 10.0},
    }
    throttled = gql(http, shop, app.access_token, query)
    assert throttled.status_code == 200 and error_codes(throttled) == ["THROTTLED"]
    assert throttled.json()["errors"][0]["message"] == "Throttled"
    assert throttled.json()["extensions"]["cost"]["actualQueryCost"] is None
    clock.advance(5)
    assert "errors" not in gql(http, shop, app.access_token, query).json()


def test_actual_cost_counts_what_came_back_and_the_rest_is_refunded(shop, http, app):
    cost = gql(http, shop, app.access_token, "{ orders(first: 50) { nodes { id } } }").json()["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (52, 2)
    assert cost["throttleStatus"]["currentlyAvailable"] == 1998


def test_throttled_status_is_a_knob_and_over_1000_points_is_refused(shop, http, app):
    shop.throttled_status = 429
    shop.bucket.set_available(0)
    assert gql(http, shop, app.access_token, "{ orders(first: 5) { nodes { id } } }").status_code == 429
    shop.bucket.set_available(2000)
    response = gql(http, shop, app.access_token, "{ orders(first: 250) { nodes { lineItems(first: 10) { nodes { id } } } } }")
    assert error_codes(response) == ["MAX_COST_EXCEEDED"]


# -- apps and tokens --------------------------------------------------------------------------


def test_the_client_credentials_grant_gives_a_token_that_expires(shop, http, clock):
    app = shop.create_dev_app(scopes=["read_orders", "read_products"])
    response = http.post(f"{shop.base_url}/admin/oauth/access_token", data={
        "grant_type": "client_credentials", "client_id": app.client_id, "client_secret": app.secret})
    grant = response.json()
    assert response.status_code == 200 and grant["access_token"].startswith("shpat_")
    assert grant["scope"] == "read_orders,read_products" and grant["expires_in"] == 86399
    assert data(gql(http, shop, grant["access_token"], "{ shop { name } }"))
    clock.advance(86399)
    assert gql(http, shop, grant["access_token"], "{ shop { name } }").status_code == 401


def test_wrong_client_credentials_are_refused_either_way_shopify_might(shop, http):
    app = shop.create_dev_app()
    form = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "wrong"}
    response = http.post(f"{shop.base_url}/admin/oauth/access_token", data=form)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client")
    shop.apps.grant_refusal = "api"
    assert http.post(f"{shop.base_url}/admin/oauth/access_token", data=form).status_code == 401
    shop.uninstall_app(app)
    form["client_secret"] = app.secret
    assert http.post(f"{shop.base_url}/admin/oauth/access_token", data=form).status_code == 401


def test_a_legacy_token_never_expires_but_dies_with_an_uninstall(shop, http, app, clock):
    clock.advance(400 * 86400)
    assert data(gql(http, shop, app.access_token, "{ shop { name } }"))
    shop.uninstall_app(app)
    assert gql(http, shop, app.access_token, "{ shop { name } }").status_code == 401


# -- webhook subscriptions --------------------------------------------------------------------

CREATE = """mutation ($topic: WebhookSubscriptionTopic!, $uri: String) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri apiVersion { handle } }
    userErrors { field message }
  }
}"""
LIST = "{ webhookSubscriptions(first: 250) { nodes { id topic uri } } }"
DELETE = """mutation ($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId
  userErrors { field message } } }"""


def subscribe(http, shop, app, topic, uri):
    payload = data(gql(http, shop, app.access_token, CREATE, {"topic": topic, "uri": uri}))["webhookSubscriptionCreate"]
    assert payload["userErrors"] == [], payload
    return payload["webhookSubscription"]


def test_subscriptions_are_created_listed_and_deleted_with_shopifys_user_errors(shop, http, app, receiver):
    made = subscribe(http, shop, app, "ORDERS_CREATE", receiver.url + "/hooks")
    assert made["topic"] == "ORDERS_CREATE" and made["apiVersion"] == {"handle": API_VERSION}
    assert made["id"].startswith("gid://shopify/WebhookSubscription/")
    errors = {
        uri: data(gql(http, shop, app.access_token, CREATE, {"topic": "ORDERS_CREATE", "uri": uri}))[
            "webhookSubscriptionCreate"]["userErrors"]
        for uri in (receiver.url + "/hooks", "", "not a url")
    }
    assert errors == {
        receiver.url + "/hooks": [{"field": ["webhookSubscription", "callbackUrl"],
                                   "message": "Address for this topic has already been taken"}],
        "": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address can't be blank"}],
        "not a url": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}],
    }
    other = shop.create_legacy_app()
    assert data(gql(http, shop, other.access_token, LIST))["webhookSubscriptions"]["nodes"] == []
    assert data(gql(http, shop, app.access_token, LIST))["webhookSubscriptions"]["nodes"] == [
        {"id": made["id"], "topic": "ORDERS_CREATE", "uri": receiver.url + "/hooks"}]
    deleted = data(gql(http, shop, app.access_token, DELETE, {"id": made["id"]}))["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": made["id"], "userErrors": []}
    again = data(gql(http, shop, app.access_token, DELETE, {"id": made["id"]}))["webhookSubscriptionDelete"]
    assert again == {"deletedWebhookSubscriptionId": None,
                     "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}


def test_http_addresses_can_be_refused_as_shopify_refuses_them(shop, http, app, receiver):
    shop.require_https_uri = True
    errors = data(gql(http, shop, app.access_token, CREATE, {"topic": "ORDERS_CREATE", "uri": receiver.url}))[
        "webhookSubscriptionCreate"]["userErrors"]
    assert errors[0]["message"] == "Address protocol http:// is not supported"


def test_deliveries_are_signed_rest_style_payloads_with_shopifys_headers(shop, http, app, receiver, clock):
    for topic in ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_DELETE"):
        subscribe(http, shop, app, topic, receiver.url + "/hooks")
    order = shop.create_order(line_items=[{"title": "Mug", "price": "8.99", "quantity": 2}])
    clock.advance(30)
    shop.update_order(order["id"], financial_status="refunded")
    shop.delete_order(order["id"])
    results = shop.deliver_pending()
    assert [r.topic for r in results] == ["orders/create", "orders/updated", "orders/delete"]
    assert all(r.success for r in results) and len(receiver.captures) == 3
    for capture in receiver.captures:
        assert capture.headers["X-Shopify-Hmac-Sha256"] == expected_hmac(capture.body, app.secret)
        assert capture.headers["X-Shopify-Shop-Domain"] == "storelink-test.myshopify.com"
        assert capture.headers["X-Shopify-API-Version"] == API_VERSION
        assert capture.headers["X-Shopify-Webhook-Id"] and capture.headers["X-Shopify-Event-Id"]
        assert capture.headers["X-Shopify-Triggered-At"].startswith("2026-11-27T10:00")
    created, updated, deleted = (json.loads(c.body) for c in receiver.captures)
    assert [c.headers["X-Shopify-Topic"] for c in receiver.captures] == ["orders/create", "orders/updated",
                                                                         "orders/delete"]
    assert created["id"] == order["id"] and created["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert created["total_price"] == "17.98" and created["total_price_set"]["shop_money"]["amount"] == "17.98"
    assert created["updated_at"] == "2026-11-27T05:00:00-05:00"  # the shop's time zone, as REST writes it
    assert updated["financial_status"] == "refunded" and updated["updated_at"] == "2026-11-27T05:00:30-05:00"
    assert deleted == {"id": order["id"]}


def test_the_deletion_payload_can_carry_the_gid_too(shop, http, app, receiver):
    shop.deletion_payload_fields = ("id", "admin_graphql_api_id")
    subscribe(http, shop, app, "PRODUCTS_DELETE", receiver.url)
    product = shop.create_product(title="Gone")
    shop.delete_product(product["id"])
    shop.deliver_pending()
    assert json.loads(receiver.captures[0].body) == {"id": product["id"],
                                                     "admin_graphql_api_id": product["admin_graphql_api_id"]}


def test_product_deliveries_carry_all_variants(shop, http, app, receiver):
    subscribe(http, shop, app, "PRODUCTS_UPDATE", receiver.url)
    product = shop.create_product(title="Poster", variants=[{"sku": f"P-{n}", "price": "3"} for n in range(120)])
    shop.update_variant(product["variants"][5]["id"], price="4.5")
    shop.deliver_pending()
    body = json.loads(receiver.captures[0].body)
    assert len(body["variants"]) == 120 and body["variants"][5]["price"] == "4.50"
    assert body["admin_graphql_api_id"] == product["admin_graphql_api_id"]


def test_deliveries_go_out_on_their_own_by_default(receiver):
    with loopback_myshopify(), ShopifyEmulator() as shop, requests.Session() as http:
        http.trust_env, http.verify = False, shop.ca_file
        app = shop.create_legacy_app()
        subscribe(http, shop, app, "PRODUCTS_CREATE", receiver.url)
        shop.create_product(title="Mug")
        wait_until(lambda: receiver.captures, what="the products/create delivery")
        assert receiver.captures[0].headers["X-Shopify-Topic"] == "products/create"


def test_a_failing_subscription_is_retried_with_the_same_delivery_then_removed_after_8_failures(shop, http, app, clock):
    with CaptureServer(status=500) as failing:
        subscribe(http, shop, app, "ORDERS_CREATE", failing.url)
        shop.create_order()
        for attempt in range(1, 9):
            [result] = shop.deliver_pending()
            assert (result.attempt, result.status) == (attempt, 500)
            clock.advance(60)
        assert shop.deliver_pending() == []
        assert len({(c.headers["X-Shopify-Webhook-Id"], c.body) for c in failing.captures}) == 1
    assert shop.subscriptions() == [] and len(shop.removed_subscriptions) == 1
    assert data(gql(http, shop, app.access_token, LIST))["webhookSubscriptions"]["nodes"] == []


def test_a_success_resets_the_consecutive_failures(shop, http, app, clock):
    answers = iter([500] * 7 + [200] + [500] * 7)
    with CaptureServer(responder=lambda capture: next(answers)) as flaky:
        subscribe(http, shop, app, "PRODUCTS_CREATE", flaky.url)
        shop.create_product(title="A")
        for _ in range(8):
            shop.deliver_pending()
            clock.advance(60)
        shop.create_product(title="B")
        for _ in range(7):
            shop.deliver_pending()
            clock.advance(60)
    assert len(shop.subscriptions(app)) == 1 and shop.subscriptions(app)[0].consecutive_failures == 7


def test_duplicates_repeat_the_same_delivery(shop, http, app, receiver):
    shop.duplicate_probability = 1.0
    subscribe(http, shop, app, "ORDERS_CREATE", receiver.url)
    shop.create_order()
    shop.deliver_pending()
    shop.deliver_pending()
    first, second = receiver.captures
    assert (first.body, first.headers["X-Shopify-Webhook-Id"]) == (second.body, second.headers["X-Shopify-Webhook-Id"])


def test_uninstalling_delivers_app_uninstalled_to_that_app_and_drops_its_subscriptions(shop, http, app, receiver):
    subscribe(http, shop, app, "APP_UNINSTALLED", receiver.url)
    subscribe(http, shop, app, "ORDERS_CREATE", receiver.url)
    other = shop.create_legacy_app()
    kept = shop.create_subscription(other, "APP_UNINSTALLED", receiver.url + "/other")
    shop.uninstall_app(app)
    shop.create_order()
    shop.deliver_pending()
    assert [(c.path, c.headers["X-Shopify-Topic"]) for c in receiver.captures] == [("/", "app/uninstalled")]
    assert receiver.captures[0].headers["X-Shopify-Hmac-Sha256"] == expected_hmac(receiver.captures[0].body, app.secret)
    assert json.loads(receiver.captures[0].body)["myshopify_domain"] == "storelink-test.myshopify.com"
    assert shop.subscriptions() == [kept]


def test_subscribing_to_orders_needs_read_orders(shop, http):
    app = shop.create_legacy_app(scopes=["read_products"])
    response = gql(http, shop, app.access_token, CREATE, {"topic": "ORDERS_CREATE", "uri": "https://example.com/h"})
    assert error_codes(response) == ["ACCESS_DENIED"]


# -- bulk operations --------------------------------------------------------------------------

RUN_BULK = """mutation ($query: String!) { bulkOperationRunQuery(query: $query) {
  bulkOperation { id status } userErrors { field message } } }"""
CURRENT = "{ currentBulkOperation { id status errorCode objectCount rootObjectCount url } }"
ID_EXPORT = "{ products { edges { node { id variants { edges { node { id } } } } } } }"


def test_a_bulk_id_export_lists_every_record_with_parent_links(shop, http, app):
    kept = shop.create_product(title="Kept", variants=[{"sku": "K1"}, {"sku": "K2"}])
    gone = shop.create_product(title="Gone")
    shop.delete_product(gone["id"])
    for n in range(300):
        shop.create_product(title=f"P{n}")
    started = data(gql(http, shop, app.access_token, RUN_BULK, {"query": ID_EXPORT}))["bulkOperationRunQuery"]
    assert started["bulkOperation"]["status"] == "CREATED" and started["userErrors"] == []
    current = data(gql(http, shop, app.access_token, CURRENT))["currentBulkOperation"]
    assert current["status"] == "COMPLETED" and current["rootObjectCount"] == "301"
    lines = [json.loads(line) for line in http.get(current["url"]).text.splitlines()]
    assert len(lines) == int(current["objectCount"]) == 301 + 300 + 2
    assert lines[:3] == [
        {"id": kept["admin_graphql_api_id"]},
        {"id": f"gid://shopify/ProductVariant/{kept['variants'][0]['id']}", "__parentId": kept["admin_graphql_api_id"]},
        {"id": f"gid://shopify/ProductVariant/{kept['variants'][1]['id']}", "__parentId": kept["admin_graphql_api_id"]},
    ]
    assert gone["admin_graphql_api_id"] not in {line["id"] for line in lines}


def test_a_bulk_operation_can_run_for_a_while_or_fail(shop, http, app):
    shop.bulk.polls_to_complete = 2
    data(gql(http, shop, app.access_token, RUN_BULK, {"query": "{ orders { edges { node { id } } } }"}))
    statuses = [data(gql(http, shop, app.access_token, CURRENT))["currentBulkOperation"]["status"] for _ in range(3)]
    assert statuses == ["RUNNING", "COMPLETED", "COMPLETED"]
    shop.bulk.fail_next("INTERNAL_SERVER_ERROR")
    data(gql(http, shop, app.access_token, RUN_BULK, {"query": "{ orders { edges { node { id } } } }"}))
    shop.bulk.polls_to_complete = 0
    failed = data(gql(http, shop, app.access_token, CURRENT))["currentBulkOperation"]
    assert (failed["status"], failed["errorCode"], failed["url"]) == ("FAILED", "INTERNAL_SERVER_ERROR", None)


def test_an_invalid_bulk_query_is_a_user_error(shop, http, app):
    payload = data(gql(http, shop, app.access_token, RUN_BULK, {"query": "{ shop { name } }"}))["bulkOperationRunQuery"]
    assert payload["bulkOperation"] is None and payload["userErrors"][0]["field"] == ["query"]


# -- faults -----------------------------------------------------------------------------------


def test_fail_next_answers_with_the_status_then_recovers(shop, http, app):
    shop.fail_next("graphql.json", 503, retry_after=2)
    failed = gql(http, shop, app.access_token, "{ shop { name } }")
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "2")
    assert data(gql(http, shop, app.access_token, "{ shop { name } }"))
    assert [r.status for r in shop.requests] == [503, 200]


def test_faults_can_pick_a_graphql_call_by_what_it_asks_for(shop, http, app):
    shop.fail_next("webhookSubscriptionCreate", 500)
    assert gql(http, shop, app.access_token, "{ shop { name } }").status_code == 200
    assert gql(http, shop, app.access_token, CREATE, {"topic": "ORDERS_CREATE", "uri": "https://a.example/h"}
               ).status_code == 500


def test_subprocesses_get_the_override_from_their_environment(tmp_path):
    probe = "import socket; print(sorted({i[4][0] for i in socket.getaddrinfo('a-shop.myshopify.com', 443)}))"
    environment = {**os.environ, **subprocess_environment()}
    result = subprocess.run([sys.executable, "-c", probe], env=environment, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "['127.0.0.1']"), result.stderr
    unpatched = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert unpatched.stdout.strip() != "['127.0.0.1']"  # no such name here, or Shopify's wildcard DNS


def test_a_receiver_slower_than_the_delivery_timeout_counts_as_a_failure(shop, http, app):
    shop.delivery_timeout = 0.2
    release = threading.Event()

    def slow(capture):
        release.wait(5)
        return 200

    with CaptureServer(responder=slow) as receiver:
        made = subscribe(http, shop, app, "ORDERS_CREATE", receiver.url)
        shop.create_order()
        [result] = shop.deliver_pending()
        release.set()
    assert not result.success and isinstance(result.error, requests.Timeout)
    node = data(gql(http, shop, app.access_token, f'{{ node(id: "{made["id"]}") {{ ... on WebhookSubscription {{ id }} }} }}'))
    assert node == {"node": {"id": made["id"]}}
    assert shop.subscriptions(app)[0].consecutive_failures == 1 and len(shop.pending_deliveries) == 1


@pytest.mark.parametrize("missing, status", [("404", 404), ("redirect", 301)])
def test_a_shop_that_does_not_exist_answers_404_or_a_redirect(shop, http, app, missing, status):
    shop.missing_shop = missing
    response = http.post(shop.graphql_url(), json={"query": "{ shop { name } }"}, allow_redirects=False,
                         headers={"X-Shopify-Access-Token": app.access_token})
    assert response.status_code == status and "application/json" not in response.headers["Content-Type"]


def test_actual_cost_counts_nested_connections_by_what_they_returned(shop, http, app):
    for n in range(3):
        shop.create_product(title=f"P{n}", variants=[{"sku": f"S{n}-{v}"} for v in range(2)])
    query = "{ products(first: 10) { edges { node { id variants(first: 90) { nodes { sku } } } } } }"
    cost = gql(http, shop, app.access_token, query).json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 10 * (1 + 2 + 90 * 1)
    assert cost["actualQueryCost"] == 2 + 3 * (1 + 2 + 2 * 1)
