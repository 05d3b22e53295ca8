"""Every store emulator offers the same interface to the guarantee tests, and it does what it says."""

from __future__ import annotations

import json

import pytest
import requests
from requests_oauthlib import OAuth1

from tests.emulators import TOPICS, ShopifyStore, StoreEmulator, WooStore
from tests.resolver import loopback_myshopify
from tests.shopify_emulator import API_VERSION, ManualClock, ShopifyEmulator
from tests.woo_emulator import CaptureServer, WooEmulator


def woo_subscribe(adapter: WooStore, receiver: CaptureServer) -> None:
    for topic in TOPICS:  # pinged, as WooCommerce does; a webhook whose ping failed is pinged again
        adapter.emulator.create_webhook(topic, receiver.url, secret=adapter.secret)
    receiver.captures.clear()


def woo_list_orders(adapter: WooStore) -> int:
    signed = OAuth1(adapter.key, client_secret=adapter.secret, signature_method="HMAC-SHA256", signature_type="query")
    return requests.get(f"{adapter.base_url}/wp-json/wc/v3/orders", auth=signed).status_code


def shopify_subscribe(adapter: ShopifyStore, receiver: CaptureServer) -> None:
    for topic in TOPICS:
        adapter.emulator.create_subscription(adapter.app, ShopifyStore.TOPICS[topic], receiver.url)


def shopify_list_orders(adapter: ShopifyStore) -> int:
    with requests.Session() as session:
        session.trust_env = False
        return session.post(adapter.emulator.graphql_url(API_VERSION), verify=adapter.ca_file,
                            json={"query": "{ orders(first: 5) { nodes { id } } }"},
                            headers={"X-Shopify-Access-Token": adapter.app.access_token}).status_code


@pytest.fixture(params=["woocommerce", "shopify"])
def emulated(request):
    """(adapter, subscribe, list_orders) for each system's emulator (not the kits' `system` fixture)."""
    if request.param == "woocommerce":
        with WooEmulator() as emulator:
            yield WooStore(emulator), woo_subscribe, woo_list_orders
    else:
        with loopback_myshopify(), ShopifyEmulator(auto_deliver=False) as emulator:
            yield ShopifyStore(emulator), shopify_subscribe, shopify_list_orders


def delivered_ids(captures) -> list[str]:
    return [str(json.loads(capture.body)["id"]) for capture in captures]


def test_each_adapter_offers_the_interface(emulated):
    adapter, _, _ = emulated
    assert isinstance(adapter, StoreEmulator)
    fields = adapter.connection_fields()
    assert set(fields) == {"api_url", "access_token", "secret"} and fields["api_url"] == adapter.base_url
    assert all(fields.values())


def test_changes_go_out_as_webhooks_only_when_delivered(emulated):
    adapter, subscribe, _ = emulated
    with CaptureServer() as receiver:
        subscribe(adapter, receiver)
        assert adapter.webhook_count() == len(TOPICS)
        order = adapter.create_order()
        adapter.change_order(order)
        assert receiver.captures == []
        results = adapter.deliver_pending()
        assert results and all(result.success for result in results)
        assert set(delivered_ids(receiver.captures)) == {order}
        receiver.captures.clear()
        adapter.delete_order(order)
        adapter.deliver_pending()
        assert delivered_ids(receiver.captures) == [order]
    assert order not in adapter.order_ids()


def test_deleted_orders_come_back_only_where_the_system_has_a_restore(emulated):
    adapter, _, _ = emulated
    order = adapter.create_order()
    adapter.delete_order(order)
    if adapter.has_restore:
        adapter.restore_order(order)
        assert order in adapter.order_ids()
    else:
        with pytest.raises(NotImplementedError):
            adapter.restore_order(order)
        assert order not in adapter.order_ids()


def test_products_with_variants_change_and_go(emulated):
    adapter, subscribe, _ = emulated
    with CaptureServer() as receiver:
        subscribe(adapter, receiver)
        product = adapter.create_product(variants=3)
        adapter.change_product(product)
        adapter.delete_product(product)
        adapter.deliver_pending()
    assert product in delivered_ids(receiver.captures)


def test_a_broken_webhook_stops_its_deliveries(emulated):
    adapter, subscribe, _ = emulated
    with CaptureServer() as receiver:
        subscribe(adapter, receiver)
        order = adapter.create_order()
        adapter.deliver_pending()
        receiver.captures.clear()
        adapter.break_webhook("order.updated")
        assert adapter.webhook_count() == len(TOPICS) - 1
        adapter.change_order(order)
        adapter.deliver_pending()
        assert receiver.captures == []
        adapter.delete_order(order)
        adapter.deliver_pending()
        assert delivered_ids(receiver.captures) == [order]


def test_fail_next_fails_the_kind_of_call_named(emulated):
    adapter, _, list_orders = emulated
    adapter.fail_next("orders", 503)
    assert list_orders(adapter) == 503
    assert list_orders(adapter) == 200


def test_a_fault_target_the_system_lacks_is_refused_by_name():
    with WooEmulator() as emulator:
        with pytest.raises(ValueError, match="woocommerce has no 'token' calls"):
            WooStore(emulator).fail_next("token", 503)


def test_the_token_grant_can_fail_where_there_is_one():
    with loopback_myshopify(), ShopifyEmulator() as emulator, requests.Session() as session:
        adapter = ShopifyStore(emulator, kind="dev_dashboard")
        fields = adapter.connection_fields()
        assert not fields["access_token"].startswith("shpat_")  # the Client ID
        adapter.fail_next("token", 503)
        session.trust_env = False
        form = {"grant_type": "client_credentials", "client_id": fields["access_token"], "client_secret": fields["secret"]}
        grant = lambda: session.post(f"{fields['api_url']}/admin/oauth/access_token", data=form,  # noqa: E731
                                     verify=adapter.ca_file)
        assert grant().status_code == 503
        assert grant().json()["access_token"].startswith("shpat_")


def test_tick_moves_a_manual_clock_so_changes_are_newer():
    clock = ManualClock("2026-11-27T10:00:00Z")
    with loopback_myshopify(), ShopifyEmulator(clock=clock) as emulator:
        adapter = ShopifyStore(emulator)
        order = adapter.create_order()
        adapter.tick()
        adapter.change_order(order)
        assert emulator.get_order(int(order))["updated_at"] == "2026-11-27T05:00:01-05:00"
