"""Shopify's deliveries as the receiver sees them: signature, topics, body checks; and the connector's fields."""

from __future__ import annotations

import json

import pytest

from jobs.batching import collapse
from jobs.buffer import Event
from jobs.store_trouble import explain
from stores.connector import APP, Topic
from stores.errors import MappingError, SignatureError, StoreError
from stores.registry import connector_for
from stores.shopify import deliveries as shopify_deliveries
from stores.shopify.errors import CODES
from stores.signatures import sign

SECRET = "shpss_0123456789abcdef"
CONNECTOR = connector_for("shopify")
DELIVERIES = CONNECTOR.deliveries
ORDER = {"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
         "updated_at": "2026-11-27T05:00:00-05:00", "created_at": "2026-11-27T04:59:00-05:00",
         "line_items": [{"id": 1, "variant_id": 2, "product_id": 3, "sku": "MUG-1", "quantity": 2, "price": "8.99"}]}
PRODUCT = {"id": 632910392, "title": "Mug", "updated_at": "2026-11-27T05:00:00-05:00",
           "variants": [{"id": 808950810, "sku": "MUG-1", "price": "8.99", "updated_at": "2026-11-27T05:00:00-05:00"}]}


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_the_headers_are_shopifys():
    assert DELIVERIES.signature_header == "X-Shopify-Hmac-Sha256"
    assert DELIVERIES.topic_header == "X-Shopify-Topic"


def test_the_signature_is_checked_over_the_raw_body():
    raw = body(ORDER)
    DELIVERIES.verify_signature(raw, sign(raw, SECRET), (SECRET,))
    with pytest.raises(SignatureError, match="does not match"):
        DELIVERIES.verify_signature(raw + b" ", sign(raw, SECRET), (SECRET,))  # same JSON, other bytes
    with pytest.raises(SignatureError, match="missing"):
        DELIVERIES.verify_signature(raw, None, (SECRET,))


def test_shopify_sends_no_ping_so_an_unsigned_request_is_never_one():
    assert DELIVERIES.is_ping(b"", None) is False
    assert DELIVERIES.is_ping(b"webhook_id=1", None) is False


@pytest.mark.parametrize(
    "header, topic",
    [
        ("orders/create", Topic("order", "created")),
        ("orders/updated", Topic("order", "updated")),
        ("orders/delete", Topic("order", "deleted")),
        ("products/create", Topic("product", "created")),
        ("products/update", Topic("product", "updated")),
        ("products/delete", Topic("product", "deleted")),
        ("app/uninstalled", Topic(APP, "deleted")),
        ("orders/paid", None),
        ("order.created", None),
        ("", None),
    ],
)
def test_topics(header, topic):
    assert DELIVERIES.topic(header) == topic


def test_bodies_with_their_modification_time_pass_the_mappers_check():
    assert DELIVERIES.check(Topic("order", "updated"), body(ORDER)) is True
    assert DELIVERIES.check(Topic("product", "updated"), body(PRODUCT)) is True


@pytest.mark.parametrize("payload", [{"id": 1}, {"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"}])
def test_a_deletion_carries_only_an_id_either_way(payload):
    assert DELIVERIES.check(Topic("order", "deleted"), body(payload)) is False
    assert CONNECTOR.deleted_id("order", payload) == "1"


def test_a_body_under_the_wrong_topic_is_refused_naming_the_field():
    with pytest.raises(MappingError) as caught:
        DELIVERIES.check(Topic("product", "updated"), body(ORDER))
    assert caught.value.field == "line_items"
    with pytest.raises(MappingError) as caught:
        DELIVERIES.check(Topic("order", "created"), body(PRODUCT))
    assert caught.value.field == "variants"


def test_an_uninstall_needs_only_an_object():
    assert DELIVERIES.check(Topic(APP, "deleted"), body({"id": 1, "name": "Shop"})) is False
    with pytest.raises(MappingError):
        DELIVERIES.check(Topic(APP, "deleted"), body([1]))


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(ValueError):
        DELIVERIES.check(Topic("order", "created"), b"id=1")
    with pytest.raises(UnicodeDecodeError):
        shopify_deliveries.validated(lambda payload: None, b"\xff")


def test_every_diagnosis_code_has_advice():
    assert set(CONNECTOR.advice) == set(CODES)


@pytest.mark.parametrize(
    "access_token, secret, fields",
    [
        ("shpat_abc", "shpss_abc", set()),
        ("0123456789abcdef0123456789abcdef", "client-secret", set()),
        ("shpss_abc", "shpss_abc", {"access_token"}),
        ("shpat_abc", "shpat_abc", {"secret"}),
        ("shpat abc", "secret with space", {"access_token", "secret"}),
    ],
)
def test_credentials_that_cannot_be_shopifys_are_named(access_token, secret, fields):
    assert set(CONNECTOR.credential_errors(access_token, secret)) == fields


def test_the_form_shows_shopifys_own_help():
    assert CONNECTOR.fields["access_token"].label == "Admin API access token (shpat_…) or Client ID"
    assert CONNECTOR.fields["secret"].label == "API secret key or Client secret"
    assert "myshopify.com" in CONNECTOR.fields["api_url"].placeholder
    assert set(CONNECTOR.texts) == {"what_to_connect", "new_keys", "replace_keys", "secret_format", "webhooks_place"}


def test_of_two_versions_in_one_batch_the_later_change_is_kept_across_an_offset_change():
    # 01:30 EDT is 05:30 UTC; 01:10 EST, after the clocks went back, is 06:10 UTC: later, though it reads earlier.
    before = Event("c", "order", "updated", "2026-11-01T06:11:00", {"id": 1, "updated_at": "2026-11-01T01:30:00-04:00"})
    after = Event("c", "order", "updated", "2026-11-01T06:11:01", {"id": 1, "updated_at": "2026-11-01T01:10:00-05:00"})
    for arrival in ([before, after], [after, before]):
        kept = collapse(arrival, lambda event: DELIVERIES.change_time(event.payload))
        assert [event.payload["updated_at"] for event in kept] == ["2026-11-01T01:10:00-05:00"]
    assert DELIVERIES.change_time({"id": 1}) == DELIVERIES.change_time({"updated_at": "yesterday"}) == ""


def test_product_prices_are_written_at_the_shop_currencys_decimals_from_the_store_facts():
    product = {"id": 632910392, "title": "Mug", "status": "active", "updated_at": "2026-11-27T05:00:00-05:00"}
    variant = {"id": 808950810, "price": "900.00", "updated_at": "2026-11-27T05:00:00-05:00", "product": product}
    assert CONNECTOR.map_record("product", variant, "632910392", {"currency": "JPY"})["price"] == "900"
    assert CONNECTOR.map_record("product", variant, "632910392", {"currency": "USD"})["price"] == "900.00"
    assert CONNECTOR.map_record("product", product, None, {})["deleted"] is False


@pytest.mark.parametrize("code", ["invalid_credentials", "insufficient_permissions"])
def test_a_poll_failing_on_the_shops_credentials_says_what_to_do_in_shopify(code):
    reason = explain(StoreError(code, "Shopify refused the Client ID and Client secret (HTTP 400)", status=400), CONNECTOR)
    advice = reason.split("What to do: ")[1]
    assert "WooCommerce" not in advice and "Edit connection" in advice
    assert "Dev Dashboard" in advice


def test_a_variant_a_poll_could_not_store_is_retried_as_a_variant():
    node = {"id": "gid://shopify/ProductVariant/808950810", "parent_id": "632910392"}
    assert CONNECTOR.delivered_items("product", node) == [({"id": "gid://shopify/ProductVariant/808950810"}, "632910392")]
    assert [parent for _, parent in CONNECTOR.delivered_items("product", PRODUCT)] == [None, "632910392"]
    assert CONNECTOR.delivered_items("order", ORDER) == [(ORDER, None)]
