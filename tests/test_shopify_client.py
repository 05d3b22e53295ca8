"""The Shopify client against the emulator: throttling, versions, granted tokens and errors."""

from __future__ import annotations

import logging

import pytest

from stores.errors import RetryPolicy, StoreError
from stores.shopify import client as shopify_client
from stores.shopify.client import API_VERSION, ShopifyClient, throttle_wait
from stores.shopify.tokens import ADMIN_TOKEN, CLIENT_CREDENTIALS, forget_granted_tokens
from tests.resolver import loopback_myshopify
from tests.shopify_emulator import ManualClock, ShopifyEmulator

SHOP = "{ shop { name currencyCode } }"


@pytest.fixture
def clock():
    return ManualClock("2026-11-27T10:00:00Z")


@pytest.fixture
def shop(clock):
    forget_granted_tokens()
    with loopback_myshopify(), ShopifyEmulator(clock=clock, auto_deliver=False) as emulator:
        yield emulator
    forget_granted_tokens()


class Waits:
    """The client's sleep: records each wait and moves the shop's clock on by it (the bucket refills)."""

    def __init__(self, clock: ManualClock):
        self.clock = clock
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.advance(seconds)


def client_for(shop, token: str, secret: str = "unused", **options) -> ShopifyClient:
    return ShopifyClient(shop.base_url, token, secret, verify=shop.ca_file, **options)


def legacy(shop, scopes=("read_orders", "read_products")):
    return shop.create_legacy_app(scopes=list(scopes))


def test_a_query_answers_its_data_with_the_admin_token_as_is(shop):
    app = legacy(shop)
    with client_for(shop, app.access_token) as client:
        assert client.graphql(SHOP)["shop"]["currencyCode"] == "USD"
        assert client.auth_mode == ADMIN_TOKEN
    request = shop.requests[-1]
    assert request.path == f"/admin/api/{API_VERSION}/graphql.json"
    assert request.headers["X-Shopify-Access-Token"] == app.access_token


@pytest.mark.parametrize("status", [200, 429])
def test_a_throttled_query_waits_for_the_bucket_to_refill_and_succeeds(shop, clock, status):
    shop.throttled_status = status  # the uncertain fact: THROTTLED on 200, or 429
    app = legacy(shop)
    shop.bucket.set_available(0)
    waits = Waits(clock)
    with client_for(shop, app.access_token, sleep=waits) as client:
        assert client.graphql(SHOP)["shop"]["currencyCode"] == "USD"
    assert waits.seconds, "the client waited"
    # The wait comes from the deficit and the restore rate (100 points a second): well under a second here.
    assert all(seconds <= 1 for seconds in waits.seconds)
    assert client.throttle_status["restoreRate"] == shop.restore_rate


def test_throttling_never_fails_a_run_while_the_bucket_refills(shop, clock):
    app = legacy(shop)
    shop.restore_rate = 1  # a slow shop: 1 point a second
    shop.bucket.set_available(0)
    waits = Waits(clock)
    with client_for(shop, app.access_token, sleep=waits) as client:
        client.graphql(SHOP)
    assert sum(waits.seconds) >= 1


def test_the_wait_is_bounded_and_falls_back_to_retry_after():
    huge = {"requestedQueryCost": 10_000, "throttleStatus": {"currentlyAvailable": 0, "restoreRate": 1}}
    assert throttle_wait(huge, None) == shopify_client.MAX_THROTTLE_WAIT
    assert throttle_wait(None, "3") == 3
    assert throttle_wait(None, None) == shopify_client.DEFAULT_THROTTLE_WAIT


def test_a_different_served_version_is_logged_once(shop, caplog):
    app = legacy(shop)
    shop.serve_version = "2026-07"
    with caplog.at_level(logging.WARNING, logger="stores.shopify.client"), client_for(shop, app.access_token) as client:
        client.graphql(SHOP)
        client.graphql(SHOP)
    warnings = [r.getMessage() for r in caplog.records if "served Admin API version" in r.getMessage()]
    assert len(warnings) == 1
    assert "2026-07" in warnings[0] and API_VERSION in warnings[0]
    assert client.served_version == "2026-07"


def test_the_pinned_version_served_logs_nothing(shop, caplog):
    app = legacy(shop)
    with caplog.at_level(logging.WARNING, logger="stores.shopify.client"), client_for(shop, app.access_token) as client:
        client.graphql(SHOP)
    assert not [r for r in caplog.records if "served Admin API version" in r.getMessage()]


def test_a_dev_dashboard_app_gets_a_token_by_the_client_credentials_grant_and_reuses_it(shop, caplog):
    app = shop.create_dev_app(scopes=["read_orders", "read_products"])
    with caplog.at_level(logging.DEBUG), client_for(shop, app.client_id, app.secret) as client:
        assert client.auth_mode == CLIENT_CREDENTIALS
        client.graphql(SHOP)
        client.graphql(SHOP)
    with client_for(shop, app.client_id, app.secret) as again:  # the process keeps it per shop and app
        again.graphql(SHOP)
    assert shop.apps.grants == 1
    grant = next(r for r in shop.requests if r.path == "/admin/oauth/access_token")
    assert grant.method == "POST"
    token = shop.requests[-1].headers["X-Shopify-Access-Token"]
    assert token.startswith("shpat_") and token != app.client_id
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert token not in logged and app.secret not in logged


def test_a_granted_token_is_renewed_before_it_expires(shop):
    app = shop.create_dev_app(scopes=["read_orders", "read_products"])
    now = [0.0]
    with client_for(shop, app.client_id, app.secret, clock=lambda: now[0]) as client:
        client.graphql(SHOP)
        now[0] = 86399 - 3600 - 1  # still more than an hour left
        client.graphql(SHOP)
        assert shop.apps.grants == 1
        now[0] = 86399 - 3600 + 1  # within the last hour: renewed before Shopify refuses it
        client.graphql(SHOP)
    assert shop.apps.grants == 2


def test_an_expired_token_is_renewed_once_on_a_401(shop, clock):
    app = shop.create_dev_app(scopes=["read_orders", "read_products"])
    with client_for(shop, app.client_id, app.secret) as client:
        client.graphql(SHOP)
        clock.advance(86400)  # Shopify's clock says it expired; ours had not
        assert client.graphql(SHOP)["shop"]
    assert shop.apps.grants == 2


def test_a_wrong_client_secret_never_borrows_a_token_the_right_one_obtained(shop):
    app = shop.create_dev_app(scopes=["read_orders", "read_products"])
    with client_for(shop, app.client_id, app.secret) as client:
        client.graphql(SHOP)
    with client_for(shop, app.client_id, "wrong") as client, pytest.raises(StoreError) as caught:
        client.graphql(SHOP)
    assert caught.value.code == "invalid_credentials"


@pytest.mark.parametrize("refusal", ["oauth", "api"])
def test_a_refused_grant_is_invalid_credentials_either_way(shop, refusal):
    shop.apps.grant_refusal = refusal  # the uncertain fact: 400 invalid_client, or the API's 401
    app = shop.create_dev_app(scopes=["read_orders"], installed=False)
    with client_for(shop, app.client_id, app.secret) as client, pytest.raises(StoreError) as caught:
        client.graphql(SHOP)
    assert caught.value.code == "invalid_credentials"
    assert app.secret not in caught.value.message


def test_a_bad_admin_token_is_invalid_credentials(shop):
    with client_for(shop, "shpat_" + "0" * 32) as client, pytest.raises(StoreError) as caught:
        client.graphql(SHOP)
    assert (caught.value.code, caught.value.status) == ("invalid_credentials", 401)
    assert "Invalid API key or access token" in caught.value.message


def test_a_field_outside_the_scopes_is_insufficient_permissions_naming_the_scope(shop):
    app = legacy(shop, scopes=["read_products"])
    with client_for(shop, app.access_token) as client, pytest.raises(StoreError) as caught:
        client.graphql("{ orders(first: 1) { nodes { id } } }")
    assert caught.value.code == "insufficient_permissions"
    assert "read_orders" in caught.value.message


def test_a_server_error_is_retried_per_the_policy(shop):
    app = legacy(shop)
    shop.fail_next("graphql.json", 503)
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay=0.01, sleep=waits.append)
    with client_for(shop, app.access_token, retry=policy) as client:
        assert client.graphql(SHOP)["shop"]
    assert len(waits) == 1


def test_a_query_shopify_refuses_says_why(shop):
    app = legacy(shop)
    with client_for(shop, app.access_token) as client, pytest.raises(StoreError) as caught:
        client.graphql("{ shop { nosuchfield } }")
    assert caught.value.code == "unexpected_response"
    assert "nosuchfield" in caught.value.message


def test_a_redirect_is_reported_not_followed(shop):
    app = legacy(shop)
    shop.missing_shop = "redirect"
    with client_for(shop, app.access_token) as client, pytest.raises(StoreError) as caught:
        client.graphql(SHOP)
    assert caught.value.code == "unexpected_response" and 300 <= caught.value.status < 400
