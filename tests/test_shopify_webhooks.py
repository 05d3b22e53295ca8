"""Storelink's webhook subscriptions on a Shopify shop: registered, listed, healed and removed."""

from __future__ import annotations

import pytest

from stores.shopify import webhooks
from stores.shopify.client import ShopifyClient
from tests.resolver import loopback_myshopify
from tests.shopify_emulator import ManualClock, ShopifyEmulator

URL = "https://storelink.example.com/webhooks/shopify/abc123"


@pytest.fixture
def shop():
    with loopback_myshopify(), ShopifyEmulator(clock=ManualClock("2026-11-27T10:00:00Z"), auto_deliver=False) as emulator:
        yield emulator


@pytest.fixture
def app(shop):
    return shop.create_legacy_app(scopes=["read_orders", "read_products"])


@pytest.fixture
def client(shop, app):
    with ShopifyClient(shop.base_url, app.access_token, app.secret, verify=shop.ca_file) as client:
        yield client


def topics_on_shop(shop, app) -> list[str]:
    return sorted(subscription.topic for subscription in shop.subscriptions(app))


def test_every_topic_gets_one_json_subscription_to_the_delivery_url(shop, app, client):
    states = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    assert [state.topic for state in states] == list(webhooks.TOPICS)
    assert {state.status for state in states} == {"active"}
    assert all(state.store_webhook_id.startswith("gid://shopify/WebhookSubscription/") for state in states)
    assert topics_on_shop(shop, app) == sorted(webhooks.TOPICS)
    assert {(s.uri, s.format) for s in shop.subscriptions(app)} == {(URL, "JSON")}
    assert "APP_UNINSTALLED" in webhooks.TOPICS


def test_registering_again_never_duplicates(shop, app, client):
    first = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    again = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    checked = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=False)
    assert [s.store_webhook_id for s in first] == [s.store_webhook_id for s in again] == [s.store_webhook_id for s in checked]
    assert len(shop.subscriptions(app)) == len(webhooks.TOPICS)


def test_a_subscription_shopify_deleted_after_failures_is_made_again(shop, app, client):
    states = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    gone = next(s for s in shop.subscriptions(app) if s.topic == "ORDERS_UPDATED")
    shop.webhooks.remove(gone.id)  # what 8 failed deliveries in a row do
    on_shop = webhooks.webhooks_on_store(client)
    lost = [s for s in states if webhooks.needs_repair(on_shop.get(s.store_webhook_id))]
    assert [s.topic for s in lost] == ["ORDERS_UPDATED"]
    healed = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=False)
    assert topics_on_shop(shop, app) == sorted(webhooks.TOPICS)
    assert next(s for s in healed if s.topic == "ORDERS_UPDATED").store_webhook_id != lost[0].store_webhook_id


def test_duplicates_left_by_a_crash_are_removed(shop, app, client):
    shop.create_subscription(app, "ORDERS_CREATE", URL)
    shop.create_subscription(app, "ORDERS_CREATE", URL)
    webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=False)
    assert topics_on_shop(shop, app).count("ORDERS_CREATE") == 1


def test_subscriptions_to_other_addresses_are_left_alone(shop, app, client):
    other = shop.create_subscription(app, "ORDERS_CREATE", "https://elsewhere.example.com/hook")
    webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    assert other.id in {s.id for s in shop.subscriptions(app)}


def test_one_topic_that_fails_is_reported_failed_and_the_others_registered(shop, app, client):
    shop.fail_next("PRODUCTS_DELETE", 500)
    states = {s.topic: s for s in webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)}
    assert states["PRODUCTS_DELETE"].status == "failed" and "500" in states["PRODUCTS_DELETE"].error
    assert all(s.status == "active" for topic, s in states.items() if topic != "PRODUCTS_DELETE")


def test_an_address_shopify_refuses_is_failed_with_shopifys_words(shop, app, client):
    shop.require_https_uri = True
    states = webhooks.register_webhooks(client, "http://storelink.example.com/webhooks/shopify/x", app.secret, "M", refresh=True)
    assert {s.status for s in states} == {"failed"}
    assert "http:// is not supported" in states[0].error


def test_removed_subscriptions_are_gone_and_a_missing_one_counts_as_removed(shop, app, client):
    states = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    ids = [s.store_webhook_id for s in states]
    shop.webhooks.remove(next(iter(shop.subscriptions(app))).id)
    assert webhooks.remove_webhooks(client, ids) == {}
    assert shop.subscriptions(app) == []


def test_a_removal_shopify_refuses_is_reported(shop, app, client):
    states = webhooks.register_webhooks(client, URL, app.secret, "Main shop", refresh=True)
    shop.fail_next("webhookSubscriptionDelete", 503)
    failures = webhooks.remove_webhooks(client, [states[0].store_webhook_id])
    assert list(failures) == [states[0].store_webhook_id]
