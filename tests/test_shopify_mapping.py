"""stores.shopify.mapping: webhook bodies and GraphQL nodes to records, the status table, and refusals naming the field."""

import copy
from datetime import UTC, datetime

import pytest

from stores.errors import MappingError
from stores.shopify.fields import gid
from stores.shopify.mapping import (
    NOT_ORDER,
    NOT_PRODUCT,
    deleted_id,
    map_order,
    map_product,
    order_status,
    variants_of,
)


def money_set(shop, presentment, shop_currency="USD", presentment_currency="EUR"):
    return {"shop_money": {"amount": shop, "currency_code": shop_currency},
            "presentment_money": {"amount": presentment, "currency_code": presentment_currency}}


def money_bag(shop, presentment, shop_currency="USD", presentment_currency="EUR"):
    return {"shopMoney": {"amount": shop, "currencyCode": shop_currency},
            "presentmentMoney": {"amount": presentment, "currencyCode": presentment_currency}}


# An orders/updated body as Shopify delivers it: numeric ids, snake_case, times in the shop's offset.
REST_ORDER = {
    "id": 5678901234001,
    "admin_graphql_api_id": "gid://shopify/Order/5678901234001",
    "name": "#1001",
    "order_number": 1001,
    "email": "ann@example.com",
    "created_at": "2026-05-01T08:00:00-04:00",
    "updated_at": "2026-05-01T08:30:15-04:00",
    "cancelled_at": None,
    "closed_at": None,
    "currency": "USD",
    "presentment_currency": "EUR",
    "financial_status": "paid",
    "fulfillment_status": None,
    "total_price": "21.98",
    "total_price_set": money_set("21.98", "20.22"),
    "subtotal_price_set": money_set("17.98", "16.54"),
    "total_tax_set": money_set("0.00", "0.00"),
    "total_discounts_set": money_set("0.00", "0.00"),
    "total_shipping_price_set": money_set("4.00", "3.68"),
    "payment_gateway_names": ["manual"],
    "customer": {"id": 7001, "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"},
    "billing_address": {"first_name": "Ann", "city": "Oslo", "country_code": "NO", "latitude": 59.9, "zip": None},
    "shipping_address": None,
    "line_items": [{
        "id": 13579246801001, "product_id": 8012345678001, "variant_id": 44123456789001, "sku": "MUG-1",
        "name": "Mug - Blue", "quantity": 2, "price": "8.99", "price_set": money_set("8.99", "8.27"),
        "total_discount_set": money_set("1.00", "0.92"),
    }],
}
# The same order as a GraphQL node.
NODE_ORDER = {
    "id": "gid://shopify/Order/5678901234001",
    "name": "#1001",
    "email": "ann@example.com",
    "createdAt": "2026-05-01T12:00:00Z",
    "updatedAt": "2026-05-01T12:30:15Z",
    "cancelledAt": None,
    "closedAt": None,
    "currencyCode": "USD",
    "displayFinancialStatus": "PAID",
    "displayFulfillmentStatus": "UNFULFILLED",
    "totalPriceSet": money_bag("21.98", "20.22"),
    "subtotalPriceSet": money_bag("17.98", "16.54"),
    "totalTaxSet": money_bag("0.00", "0.00"),
    "totalDiscountsSet": money_bag("0.00", "0.00"),
    "totalShippingPriceSet": money_bag("4.00", "3.68"),
    "customer": {"id": "gid://shopify/Customer/7001", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"},
    "billingAddress": {"firstName": "Ann", "city": "Oslo", "countryCodeV2": "NO", "zip": None},
    "shippingAddress": None,
    "lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": "x"}, "nodes": [{
        "id": "gid://shopify/LineItem/13579246801001", "product": {"id": "gid://shopify/Product/8012345678001"},
        "variant": {"id": "gid://shopify/ProductVariant/44123456789001"}, "sku": "MUG-1", "name": "Mug - Blue",
        "quantity": 2, "originalUnitPriceSet": money_bag("8.99", "8.27"), "discountedTotalSet": money_bag("16.98", "15.62"),
    }]},
}
REST_PRODUCT = {
    "id": 8012345678001,
    "admin_graphql_api_id": "gid://shopify/Product/8012345678001",
    "title": "Mug",
    "status": "active",
    "created_at": "2026-04-01T09:00:00-04:00",
    "updated_at": "2026-05-01T09:00:00-04:00",
    "variants": [
        {"id": 44123456789001, "product_id": 8012345678001, "title": "Blue", "sku": "MUG-1", "price": "8.99",
         "compare_at_price": "12.00", "inventory_quantity": 5, "created_at": "2026-04-01T09:00:00-04:00",
         "updated_at": "2026-04-02T09:00:00-04:00"},
        {"id": 44123456789002, "product_id": 8012345678001, "title": "Red", "sku": "MUG-2", "price": "8.99",
         "compare_at_price": None, "inventory_quantity": -1, "created_at": "2026-04-01T09:00:00-04:00",
         "updated_at": "2026-05-02T09:00:00-04:00"},
    ],
}
NODE_PRODUCT = {"id": "gid://shopify/Product/8012345678001", "title": "Mug", "status": "ACTIVE",
                "createdAt": "2026-04-01T13:00:00Z", "updatedAt": "2026-05-01T13:00:00Z"}
NODE_VARIANT = {
    "id": "gid://shopify/ProductVariant/44123456789001", "title": "Blue", "sku": "MUG-1", "price": "8.99",
    "compareAtPrice": "12.00", "inventoryQuantity": 5, "createdAt": "2026-04-01T13:00:00Z",
    "updatedAt": "2026-04-02T13:00:00Z", "product": NODE_PRODUCT,
}


def test_a_webhook_body_maps_to_the_order_record():
    order = map_order(REST_ORDER)
    assert order == {
        "external_id": "5678901234001", "number": "#1001", "status": "processing", "currency": "USD",
        "total": "21.98", "subtotal": "17.98", "total_tax": "0.00", "shipping_total": "4.00",
        "discount_total": "0.00", "payment_method": None,
        "customer": {"external_id": "7001", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"},
        "billing": {"first_name": "Ann", "city": "Oslo", "country_code": "NO"},
        "shipping": {},
        "line_items": [{
            "external_id": "13579246801001", "product_external_id": "8012345678001",
            "variation_external_id": "44123456789001", "sku": "MUG-1", "name": "Mug - Blue", "quantity": 2,
            "price": "8.99", "total": "16.98",
        }],
        "created_at": datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        "modified_at": datetime(2026, 5, 1, 12, 30, 15, tzinfo=UTC),
        "paid_at": None, "completed_at": None,
    }


def test_a_graphql_node_maps_to_the_same_record_as_its_webhook_body():
    assert map_order(NODE_ORDER) == map_order(REST_ORDER)
    assert map_product(NODE_PRODUCT) == map_product(REST_PRODUCT)
    rest_variant = variants_of(REST_PRODUCT)[1]
    assert map_product(NODE_VARIANT, "8012345678001") == map_product(*rest_variant)


def test_money_is_the_shops_never_the_presentment_currencys():
    order = copy.deepcopy(REST_ORDER)
    order["total_price_set"] = money_set("21.98", "3000", "USD", "JPY")
    assert map_order(order)["total"] == "21.98"
    assert map_order(order)["currency"] == "USD"


def test_times_with_an_offset_are_stored_in_utc():
    order = dict(REST_ORDER, updated_at="2026-05-01T23:30:00+09:00")
    assert map_order(order)["modified_at"] == datetime(2026, 5, 1, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("financial", "fulfillment", "cancelled", "status"),
    [
        ("paid", "fulfilled", False, "completed"),
        ("paid", None, False, "processing"),
        ("paid", "partial", False, "processing"),
        ("partially_refunded", None, False, "processing"),
        ("partially_refunded", "fulfilled", False, "completed"),
        ("pending", None, False, "pending"),
        ("partially_paid", None, False, "pending"),
        (None, None, False, "pending"),
        ("authorized", None, False, "on-hold"),
        ("pending", "fulfilled", False, "completed"),
        ("refunded", "fulfilled", False, "refunded"),
        ("voided", None, False, "cancelled"),
        ("expired", None, False, "failed"),
        ("paid", "fulfilled", True, "cancelled"),
        ("refunded", None, True, "cancelled"),
        ("paid", "restocked", False, "processing"),
        ("something_new", None, False, "pending"),
    ],
)
def test_order_status_table(financial, fulfillment, cancelled, status):
    assert order_status(financial, fulfillment, cancelled) == status


@pytest.mark.parametrize(
    ("financial", "fulfillment", "status"),
    [("PAID", "FULFILLED", "completed"), ("PAID", "PARTIALLY_FULFILLED", "processing"), ("PAID", "ON_HOLD", "processing"),
     ("AUTHORIZED", "UNFULFILLED", "on-hold"), ("REFUNDED", "FULFILLED", "refunded"), (None, "UNFULFILLED", "pending")],
)
def test_graphql_statuses_map_as_their_rest_spelling(financial, fulfillment, status):
    assert map_order(dict(NODE_ORDER, displayFinancialStatus=financial, displayFulfillmentStatus=fulfillment))["status"] == status


def test_a_cancelled_order_is_cancelled_in_both_shapes():
    assert map_order(dict(REST_ORDER, cancelled_at="2026-05-02T08:00:00-04:00"))["status"] == "cancelled"
    assert map_order(dict(NODE_ORDER, cancelledAt="2026-05-02T12:00:00Z"))["status"] == "cancelled"


def test_a_closed_order_is_completed_at_its_closing():
    assert map_order(dict(NODE_ORDER, closedAt="2026-05-03T12:00:00Z"))["completed_at"] == datetime(2026, 5, 3, 12, tzinfo=UTC)


def test_products_and_variants():
    records = [map_product(payload, parent) for payload, parent in variants_of(REST_PRODUCT)]
    product, blue, red = records
    assert product["type"] == "variable" and product["parent_external_id"] is None and product["status"] == "active"
    assert (blue["type"], blue["parent_external_id"], blue["name"]) == ("variation", "8012345678001", "Mug - Blue")
    # on sale: compare-at above the price is the regular price
    assert (blue["price"], blue["regular_price"], blue["sale_price"]) == ("8.99", "12.00", "8.99")
    assert (red["price"], red["regular_price"], red["sale_price"]) == ("8.99", "8.99", None)
    assert (blue["sku"], blue["stock_quantity"], red["stock_quantity"]) == ("MUG-1", 5, -1)
    # a variant changes with its product's name and status: the later time of the two is its version
    assert blue["modified_at"] == datetime(2026, 5, 1, 13, tzinfo=UTC)
    assert red["modified_at"] == datetime(2026, 5, 2, 13, tzinfo=UTC)


def test_a_customer_without_an_id_is_a_guest():
    assert map_order(edited(REST_ORDER, ["customer"], {"email": "x@example.com"}))["customer"]["external_id"] is None
    assert map_order(dict(NODE_ORDER, customer=None))["customer"] == {
        "external_id": None, "email": "ann@example.com", "first_name": None, "last_name": None}


def test_the_gid_is_derived_from_the_stored_id():
    assert gid("Order", map_order(REST_ORDER)["external_id"]) == REST_ORDER["admin_graphql_api_id"]


@pytest.mark.parametrize(
    "payload",
    [{"id": 5678901234001}, {"id": 5678901234001, "admin_graphql_api_id": "gid://shopify/Order/5678901234001"},
     {"id": "gid://shopify/Order/5678901234001"}],
)
def test_deleted_id_reads_both_readings_of_a_deletion_body(payload):
    assert deleted_id(payload) == "5678901234001"


def edited(payload, path, value):
    payload = copy.deepcopy(payload)
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "path", "value", "field"),
    [
        (REST_ORDER, ["id"], None, "id"),
        (REST_ORDER, ["id"], True, "id"),
        (REST_ORDER, ["id"], -5, "id"),
        (REST_ORDER, ["id"], 2**64, "id"),
        (REST_ORDER, ["updated_at"], None, "updated_at"),
        (REST_ORDER, ["updated_at"], "yesterday", "updated_at"),
        (REST_ORDER, ["name"], 1001, "name"),
        (REST_ORDER, ["financial_status"], ["paid"], "financial_status"),
        (REST_ORDER, ["total_price_set", "shop_money", "amount"], "12,50", "total_price_set.shop_money.amount"),
        (REST_ORDER, ["total_price_set", "shop_money", "amount"], float("nan"), "total_price_set.shop_money.amount"),
        (REST_ORDER, ["total_price_set"], "21.98", "total_price_set"),
        (REST_ORDER, ["customer", "id"], "ann", "customer.id"),
        (REST_ORDER, ["billing_address", "city"], 7, "billing_address.city"),
        (REST_ORDER, ["line_items"], {}, "line_items"),
        (REST_ORDER, ["line_items", 0, "quantity"], "2", "line_items[0].quantity"),
        (REST_ORDER, ["line_items", 0, "quantity"], 2**63, "line_items[0].quantity"),
        (REST_ORDER, ["line_items", 0, "variant_id"], "blue", "line_items[0].variant_id"),
        (REST_ORDER, ["variants"], [], "variants"),
        (NODE_ORDER, ["id"], "gid://shopify/Product/5678901234001", "id"),
        (NODE_ORDER, ["updatedAt"], "2026-13-01T00:00:00Z", "updatedAt"),
        (NODE_ORDER, ["totalPriceSet", "shopMoney"], "21.98", "totalPriceSet.shopMoney"),
        (NODE_ORDER, ["lineItems"], [], "lineItems"),
        (NODE_ORDER, ["lineItems", "nodes", 0, "variant"], {"id": "44123456789001"}, "lineItems.nodes[0].variant.id"),
        (NODE_ORDER, ["customer", "id"], "gid://shopify/Customer/x", "customer.id"),
    ],
)
def test_a_bad_order_field_is_refused_by_name(payload, path, value, field):
    with pytest.raises(MappingError) as raised:
        map_order(edited(payload, path, value))
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("payload", "parent", "path", "value", "field"),
    [
        (REST_PRODUCT, None, ["id"], "8012345678001x", "id"),
        (REST_PRODUCT, None, ["updated_at"], None, "updated_at"),
        (REST_PRODUCT, None, ["title"], {"en": "Mug"}, "title"),
        (REST_PRODUCT, None, ["line_items"], [], "line_items"),
        (NODE_PRODUCT, None, ["id"], "gid://shopify/ProductVariant/8012345678001", "id"),
        (NODE_VARIANT, "8012345678001", ["price"], "8.99 USD", "price"),
        (NODE_VARIANT, "8012345678001", ["inventoryQuantity"], 1.5, "inventoryQuantity"),
        (NODE_VARIANT, "8012345678001", ["product"], None, "product"),
        (NODE_VARIANT, "999", ["title"], "Blue", "product.id"),
        (NODE_VARIANT, "8012345678001", ["product", "updatedAt"], None, "product.updatedAt"),
    ],
)
def test_a_bad_product_field_is_refused_by_name(payload, parent, path, value, field):
    with pytest.raises(MappingError) as raised:
        map_product(edited(payload, path, value), parent)
    assert raised.value.field == field


def test_each_mapper_refuses_the_other_records_body():
    with pytest.raises(MappingError, match=NOT_ORDER):
        map_order(REST_PRODUCT)
    with pytest.raises(MappingError, match=NOT_PRODUCT):
        map_product(REST_ORDER)
    with pytest.raises(MappingError):
        map_order(["not", "an", "object"])


def test_deleted_id_refuses_a_body_without_an_id():
    with pytest.raises(MappingError) as raised:
        deleted_id({"admin_graphql_api_id": None})
    assert raised.value.field == "id"


def test_graphql_amounts_without_trailing_zeros_are_written_at_the_currencys_scale():
    node = edited(NODE_ORDER, ["totalPriceSet", "shopMoney", "amount"], "21.9")
    node = edited(node, ["totalTaxSet", "shopMoney", "amount"], "0.0")
    rest = edited(REST_ORDER, ["total_price_set", "shop_money", "amount"], "21.90")
    assert map_order(node) == map_order(rest)
    assert (map_order(node)["total"], map_order(node)["total_tax"]) == ("21.90", "0.00")


@pytest.mark.parametrize(
    ("currency", "amount", "written"),
    [("JPY", "1000.0", "1000"), ("KWD", "1.5", "1.500"), ("EUR", "7", "7.00"), ("JPY", "1000.5", "1000.5"),
     ("usd", "7", "7"), (None, "7.0", "7.0")],
)
def test_amounts_are_rescaled_only_by_zeros(currency, amount, written):
    node = edited(dict(NODE_ORDER, currencyCode=currency), ["totalPriceSet", "shopMoney", "amount"], amount)
    assert map_order(node)["total"] == written


def test_variant_prices_take_the_shops_currency_when_given():
    variant = dict(NODE_VARIANT, price="8.9", compareAtPrice="12.0")
    assert map_product(variant, "8012345678001")["price"] == "8.9"
    record = map_product(variant, "8012345678001", currency="USD")
    assert (record["price"], record["regular_price"], record["sale_price"]) == ("8.90", "12.00", "8.90")
