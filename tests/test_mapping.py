"""stores.woocommerce.mapping against the real WooCommerce 9.9.5 payloads, bad shapes, and properties."""

import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stores.errors import MappingError
from stores.woocommerce import mapping, readers
from stores.woocommerce.mapping import deleted_id, map_order, map_product
from tests.fixtures import load_delivery, load_rest
from tests.payload_edits import DELETE, JSON_SCALARS, JSON_VALUES, apply_mutations, mutate, mutations

ORDER_KEYS = {
    "external_id", "number", "status", "currency", "total", "subtotal", "total_tax",
    "shipping_total", "discount_total", "payment_method", "customer", "billing", "shipping",
    "line_items", "created_at", "modified_at", "paid_at", "completed_at",
}  # fmt: skip
CUSTOMER_KEYS = {"external_id", "email", "first_name", "last_name"}
LINE_ITEM_KEYS = {
    "external_id", "product_external_id", "variation_external_id", "sku", "name", "quantity",
    "price", "total",
}  # fmt: skip
PRODUCT_KEYS = {
    "external_id", "parent_external_id", "type", "name", "sku", "status", "price",
    "regular_price", "sale_price", "stock_quantity", "stock_status", "manage_stock",
    "created_at", "modified_at",
}  # fmt: skip
ORDER_MONEY = ("total", "subtotal", "total_tax", "shipping_total", "discount_total")
PRODUCT_MONEY = ("price", "regular_price", "sale_price")

ORDER_CREATED = load_delivery("02").json()
ORDER_COMPLETED = load_delivery("04").json()
SIMPLE_PRODUCT = load_delivery("06").json()
VARIATION = load_delivery("07").json()
NON_ASCII_PRODUCT = load_delivery("09").json()
REST_ORDERS = load_rest("orders_modified_after_page1_200")["body"]
REST_PRODUCTS = load_rest("products_page_with_variable_200")["body"]
REST_VARIATIONS = load_rest("product_variations_200")["body"]

def utc(*args):
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=timezone.utc)


# ---------------------------------------------------------------- real payloads: orders


def test_order_created_delivery_maps_to_the_full_record():
    assert map_order(ORDER_CREATED) == {
        "external_id": "93",
        "number": "93",
        "status": "pending",
        "currency": "USD",
        "total": "17.98",
        "subtotal": "17.98",
        "total_tax": "0.00",
        "shipping_total": "0.00",
        "discount_total": "0.00",
        "payment_method": "",
        "customer": {
            "external_id": None,  # customer_id 0: a guest
            "email": "wh1@example.com",
            "first_name": "Webhook",
            "last_name": "One",
        },
        "billing": {
            "first_name": "Webhook", "last_name": "One", "company": "", "address_1": "",
            "address_2": "", "city": "", "state": "", "postcode": "", "country": "",
            "email": "wh1@example.com", "phone": "",
        },  # fmt: skip
        "shipping": {
            "first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
            "city": "", "state": "", "postcode": "", "country": "", "phone": "",
        },  # fmt: skip
        "line_items": [
            {
                "external_id": "154",
                "product_external_id": "10",
                "variation_external_id": None,
                "sku": "SKU-001",
                "name": "Mug",
                "quantity": 2,
                "price": "8.99",  # a JSON number (8.99) in the payload
                "total": "17.98",
            }
        ],
        "created_at": utc(2026, 11, 27, 10, 27, 37),
        "modified_at": utc(2026, 11, 27, 10, 27, 37),
        "paid_at": None,
        "completed_at": None,
    }


def test_order_times_are_aware_utc_from_the_gmt_fields():
    record = map_order(ORDER_CREATED)
    assert record["created_at"].isoformat() == "2026-11-27T10:27:37+00:00"
    assert record["created_at"].utcoffset() == timedelta(0)


def test_order_updated_with_the_same_body_maps_identically():
    assert map_order(load_delivery("03").json()) == map_order(ORDER_CREATED)


def test_order_status_change_delivery():
    record = map_order(ORDER_COMPLETED)
    assert record["status"] == "completed"
    assert record["total"] == "17.98"
    assert record["created_at"] == utc(2026, 11, 27, 10, 27, 37)
    assert record["modified_at"] == utc(2026, 11, 27, 10, 28, 48)
    assert record["paid_at"] == utc(2026, 11, 27, 10, 28, 47)
    assert record["completed_at"] == utc(2026, 11, 27, 10, 28, 48)


def test_tampered_body_maps_what_it_says():
    # The mapper does not know about signatures; the receiver must have rejected this already.
    assert map_order(load_delivery("10").json())["total"] == "97.98"


def test_polled_order_maps_exactly_like_the_webhook_of_the_same_version():
    polled = next(order for order in REST_ORDERS if order["id"] == 93)
    assert map_order(polled) == map_order(ORDER_COMPLETED)


def test_polled_order_with_customer_shipping_and_two_lines():
    record = map_order(next(order for order in REST_ORDERS if order["id"] == 47))
    assert record["external_id"] == "47"
    assert record["status"] == "on-hold"
    assert record["payment_method"] == "bacs"
    assert record["customer"] == {
        "external_id": "2",
        "email": "ann10@example.com",
        "first_name": "Ann",
        "last_name": "Tester",
    }
    assert record["shipping"]["city"] == "Springfield"
    assert record["billing"]["phone"] == "555-0110"
    assert (record["total"], record["subtotal"], record["shipping_total"]) == ("137.98", "132.98", "5.00")
    lines = [(line["sku"], line["quantity"], line["price"], line["total"]) for line in record["line_items"]]
    assert lines == [
        ("SKU-008", 2, "20.99", "41.98"),
        # 45.5 is how WooCommerce json-encodes the float 45.50: the JSON number's own scale is kept.
        ("SKU-007", 2, "45.5", "91.00"),
    ]
    assert record["modified_at"] == utc(2026, 11, 27, 10, 28, 49)


@pytest.mark.parametrize("order", REST_ORDERS, ids=lambda order: f"order-{order['id']}")
def test_every_polled_order_has_the_record_shape(order):
    assert_order_record(map_order(order))


# ---------------------------------------------------------------- real payloads: products


def test_simple_product_delivery_maps_to_the_full_record():
    assert map_product(SIMPLE_PRODUCT) == {
        "external_id": "94",
        "parent_external_id": None,
        "type": "simple",
        "name": "Webhook Widget",
        "sku": "WH-W1",
        "status": "publish",
        "price": "9.99",
        "regular_price": "9.99",
        "sale_price": None,  # "" in the payload: no sale price
        "stock_quantity": None,
        "stock_status": "instock",
        "manage_stock": False,
        "created_at": utc(2026, 11, 27, 10, 28, 48),
        "modified_at": utc(2026, 11, 27, 10, 28, 48),
    }


def test_variation_delivery_carries_its_parent():
    assert map_product(VARIATION) == {
        "external_id": "30",
        "parent_external_id": "29",
        "type": "variation",
        "name": "Variable Jacket - S, Red",
        "sku": "JKT-S-R",
        "status": "publish",
        "price": "79.00",
        "regular_price": "79.00",
        "sale_price": None,
        "stock_quantity": 18,
        "stock_status": "instock",
        "manage_stock": True,
        "created_at": utc(2026, 11, 27, 10, 27, 9),
        "modified_at": utc(2026, 11, 27, 10, 28, 49),
    }


def test_non_ascii_name_is_kept_exactly_as_the_store_sent_it():
    record = map_product(NON_ASCII_PRODUCT)
    assert record["name"] == "Caf\u00e9 \u2615 \u201cQuote\u201d <b>&amp;</b>"
    assert record["name"] == "Café ☕ “Quote” <b>&amp;</b>"
    assert (record["external_id"], record["sku"], record["price"]) == ("99", "UNI-1", "4.20")


def test_polled_variable_product_has_no_parent_and_no_regular_price():
    record = map_product(next(product for product in REST_PRODUCTS if product["id"] == 29))
    assert record["type"] == "variable"
    assert record["parent_external_id"] is None
    assert (record["price"], record["regular_price"], record["sale_price"]) == ("79.00", None, None)
    assert record["modified_at"] == utc(2026, 11, 27, 10, 28, 49)


def test_polled_simple_product_maps_exactly_like_its_webhook():
    polled = next(product for product in REST_PRODUCTS if product["id"] == 94)
    assert map_product(polled) == map_product(SIMPLE_PRODUCT)


def test_variations_endpoint_items():
    newest, older = (map_product(item) for item in REST_VARIATIONS)
    assert newest["external_id"] == "95"
    assert newest["parent_external_id"] == "29"
    assert newest["type"] == "variation"
    assert newest["name"] == "L, Red"  # this endpoint's short name, kept as sent
    assert (newest["price"], newest["manage_stock"], newest["stock_quantity"]) == ("99.00", False, None)
    assert (older["external_id"], older["stock_quantity"], older["manage_stock"]) == ("35", 20, True)


@pytest.mark.parametrize("parent", ["29", 29])
def test_variations_without_parent_id_or_type_take_the_parent_from_the_caller(parent):
    item = {key: value for key, value in REST_VARIATIONS[0].items() if key not in ("parent_id", "type")}
    assert map_product(item, parent_external_id=parent) == map_product(REST_VARIATIONS[0])


def test_caller_parent_wins_over_the_payload_parent_id():
    assert map_product(VARIATION, parent_external_id="77")["parent_external_id"] == "77"


def test_variation_without_type_is_inferred_from_parent_id():
    item = {key: value for key, value in VARIATION.items() if key != "type"}
    assert map_product(item)["type"] == "variation"


def test_manage_stock_parent_means_managed_by_the_parent():
    # WC_Product_Variation::get_manage_stock() says "parent" when the parent product manages
    # the stock; stock_quantity is then the parent's shared stock. We record it as managed.
    record = map_product(mutate(VARIATION, ("manage_stock",), "parent"))
    assert record["manage_stock"] is True
    assert record["stock_quantity"] == 18


@pytest.mark.parametrize(
    "product",
    [SIMPLE_PRODUCT, VARIATION, NON_ASCII_PRODUCT, *REST_PRODUCTS, *REST_VARIATIONS],
    ids=lambda product: f"product-{product['id']}",
)
def test_every_real_product_has_the_record_shape(product):
    assert_product_record(map_product(product))


# ---------------------------------------------------------------- deletions


@pytest.mark.parametrize(("name", "expected"), [("05", "36"), ("08", "12")])
def test_deleted_bodies_give_the_id(name, expected):
    assert load_delivery(name).json() == {"id": int(expected)}
    assert deleted_id(load_delivery(name).json()) == expected


@pytest.mark.parametrize(("payload", "expected"), [(ORDER_CREATED, "93"), (VARIATION, "30")])
def test_deleted_id_accepts_full_bodies(payload, expected):
    assert deleted_id(payload) == expected


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({}, "id", mapping.REQUIRED),
        ({"id": None}, "id", mapping.REQUIRED),
        ({"id": 0}, "id", mapping.NOT_ID),
        ({"id": -36}, "id", mapping.NOT_ID),
        ({"id": "abc"}, "id", mapping.NOT_ID),
        ({"id": 36.0}, "id", mapping.NOT_ID),
        ({"id": True}, "id", mapping.NOT_ID),
        ({"id": 2**64}, "id", mapping.OUT_OF_RANGE),
        ([36], "payload", mapping.NOT_OBJECT),
        ("36", "payload", mapping.NOT_OBJECT),
        (None, "payload", mapping.NOT_OBJECT),
    ],
)
def test_deleted_id_rejects(payload, field, reason):
    with pytest.raises(MappingError) as raised:
        deleted_id(payload)
    assert (raised.value.field, raised.value.reason) == (field, reason)


# ---------------------------------------------------------------- tolerated variants


def test_unknown_fields_are_ignored():
    extended = mutate(ORDER_CREATED, ("plugin_field",), {"nested": [1, "x", None]})
    extended["line_items"][0]["bundle"] = {"anything": True}
    extended["billing"]["vat_number"] = "SE123"
    record = map_order(extended)
    assert record["billing"]["vat_number"] == "SE123"  # addresses are copied as given
    record["billing"].pop("vat_number")
    assert record == map_order(ORDER_CREATED)


def test_string_ids_of_digits_are_accepted():
    assert map_order(mutate(ORDER_CREATED, ("id",), "93"))["external_id"] == "93"
    assert deleted_id({"id": "36"}) == "36"


@pytest.mark.parametrize("value", [[], None, DELETE], ids=["php-empty-array", "null", "absent"])
def test_empty_address_forms_are_empty(value):
    record = map_order(mutate(ORDER_CREATED, ("shipping",), value))
    assert record["shipping"] == {}


def test_order_without_billing_has_an_anonymous_customer():
    record = map_order(mutate(ORDER_CREATED, ("billing",), DELETE))
    assert record["customer"] == {"external_id": None, "email": None, "first_name": None, "last_name": None}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-27T10:27:37", utc(2026, 11, 27, 10, 27, 37)),
        ("2026-11-27 10:27:37", utc(2026, 11, 27, 10, 27, 37)),
        ("2026-11-27T10:27:37Z", utc(2026, 11, 27, 10, 27, 37)),
        ("2026-11-27T10:27:37+00:00", utc(2026, 11, 27, 10, 27, 37)),
        ("2026-11-27T12:27:37+02:00", utc(2026, 11, 27, 10, 27, 37)),
        ("2026-11-27T10:27:37.250000", utc(2026, 11, 27, 10, 27, 37, 250000)),
    ],
)
def test_gmt_date_forms(value, expected):
    modified = map_order(mutate(ORDER_CREATED, ("date_modified_gmt",), value))["modified_at"]
    assert modified == expected
    assert modified.tzinfo is timezone.utc


def test_null_optional_dates_and_money_are_none():
    record = map_order(
        mutate(mutate(ORDER_CREATED, ("date_created_gmt",), None), ("discount_total",), None)
    )
    assert record["created_at"] is None
    assert record["discount_total"] is None


def test_deleted_product_in_a_line_item_has_no_product_reference():
    # WooCommerce sets product_id 0 on line items whose product was deleted.
    record = map_order(mutate(ORDER_CREATED, ("line_items", 0, "product_id"), 0))
    assert record["line_items"][0]["product_external_id"] is None


def test_line_item_variation_reference():
    record = map_order(mutate(ORDER_CREATED, ("line_items", 0, "variation_id"), 30))
    assert record["line_items"][0]["variation_external_id"] == "30"


def test_order_without_line_items_has_a_zero_subtotal_at_the_totals_scale():
    assert map_order(mutate(ORDER_CREATED, ("line_items",), []))["subtotal"] == "0.00"
    assert map_order(mutate(ORDER_CREATED, ("line_items",), DELETE))["line_items"] == []


def test_subtotal_is_unknown_when_a_line_has_no_subtotal():
    assert map_order(mutate(ORDER_CREATED, ("line_items", 0, "subtotal"), DELETE))["subtotal"] is None


@pytest.mark.parametrize(
    ("subtotals", "expected"),
    [
        (["0.1", "0.2"], "0.3"),  # float arithmetic would give 0.30000000000000004
        (["1.5", "2.25"], "3.75"),
        (["10", "0.50"], "10.50"),
        (["-5.00", "5.00"], "0.00"),
        (["99999999999999999999999999999999.99"] * 2, "199999999999999999999999999999999.98"),
        ([0.1, 0.2, 0.3], "0.6"),
    ],
)
def test_subtotal_is_the_exact_sum_of_line_subtotals(subtotals, expected):
    line = ORDER_CREATED["line_items"][0]
    items = [{**line, "id": 200 + i, "subtotal": amount} for i, amount in enumerate(subtotals)]
    assert map_order(mutate(ORDER_CREATED, ("line_items",), items))["subtotal"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17.98", "17.98"),
        ("0.00", "0.00"),
        ("-0.00", "0.00"),
        ("1700", "1700"),
        ("0.001", "0.001"),
        ("007.50", "7.50"),
        (8.99, "8.99"),
        (45.5, "45.5"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (1e16, "10000000000000000"),
        (-0.0, "0.0"),  # negative zero is zero, at the JSON number's scale
        (9, "9"),
        (-3, "-3"),
    ],
)
def test_money_forms(value, expected):
    assert map_order(mutate(ORDER_CREATED, ("total",), value))["total"] == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), ("12.50", "12.50"), (12.5, "12.5"), (None, None)]
)
def test_product_prices_blank_means_unset(value, expected):
    assert map_product(mutate(SIMPLE_PRODUCT, ("sale_price",), value))["sale_price"] == expected


@pytest.mark.parametrize("value", [-(2**63), -4, 0, 2**63 - 1])
def test_stock_quantity_may_be_negative_zero_or_large(value):
    assert map_product(mutate(VARIATION, ("stock_quantity",), value))["stock_quantity"] == value


def test_integer_order_numbers_from_renumbering_plugins_become_strings():
    assert map_order(mutate(ORDER_CREATED, ("number",), 1093))["number"] == "1093"


def test_non_variation_parent_id_is_not_a_variation_parent():
    # e.g. legacy children of grouped products carry a parent_id.
    assert map_product(mutate(SIMPLE_PRODUCT, ("parent_id",), 29))["parent_external_id"] is None


# ---------------------------------------------------------------- rejected shapes

ORDER_INVALID = [
    # (path, value, field, reason)
    ((), [], "payload", mapping.NOT_OBJECT),
    ((), "{}", "payload", mapping.NOT_OBJECT),
    ((), None, "payload", mapping.NOT_OBJECT),
    (("id",), DELETE, "id", mapping.REQUIRED),
    (("id",), None, "id", mapping.REQUIRED),
    (("id",), 0, "id", mapping.NOT_ID),
    (("id",), -93, "id", mapping.NOT_ID),
    (("id",), 93.0, "id", mapping.NOT_ID),
    (("id",), True, "id", mapping.NOT_ID),
    (("id",), "", "id", mapping.NOT_ID),
    (("id",), "9 3", "id", mapping.NOT_ID),
    (("id",), "\uff19\uff13", "id", mapping.NOT_ID),  # full-width digits
    (("id",), 2**64, "id", mapping.OUT_OF_RANGE),
    (("id",), "9" * 40, "id", mapping.OUT_OF_RANGE),
    (("number",), [], "number", mapping.NOT_STRING),
    (("number",), True, "number", mapping.NOT_STRING),
    (("number",), 2**63, "number", mapping.OUT_OF_RANGE),
    (("status",), 1, "status", mapping.NOT_STRING),
    (("currency",), {"code": "USD"}, "currency", mapping.NOT_STRING),
    (("payment_method",), False, "payment_method", mapping.NOT_STRING),
    (("total",), "17,98", "total", mapping.NOT_MONEY),
    (("total",), "", "total", mapping.NOT_MONEY),
    (("total",), " 17.98", "total", mapping.NOT_MONEY),
    (("total",), "+17.98", "total", mapping.NOT_MONEY),
    (("total",), "17.", "total", mapping.NOT_MONEY),
    (("total",), ".98", "total", mapping.NOT_MONEY),
    (("total",), "1e3", "total", mapping.NOT_MONEY),
    (("total",), "1_000.00", "total", mapping.NOT_MONEY),
    (("total",), "NaN", "total", mapping.NOT_MONEY),
    (("total",), "Infinity", "total", mapping.NOT_MONEY),
    (("total",), "\u0661\u0667.\u0669\u0668", "total", mapping.NOT_MONEY),  # Arabic-Indic digits
    (("total",), "$17.98", "total", mapping.NOT_MONEY),
    (("total",), float("nan"), "total", mapping.NOT_MONEY),
    (("total",), float("inf"), "total", mapping.NOT_MONEY),
    (("total",), True, "total", mapping.NOT_MONEY),
    (("total",), ["17.98"], "total", mapping.NOT_MONEY),
    (("total",), {"amount": "17.98"}, "total", mapping.NOT_MONEY),
    (("total",), "1" * 39, "total", mapping.OUT_OF_RANGE),
    (("total",), "0." + "0" * 38 + "1", "total", mapping.OUT_OF_RANGE),
    (("total",), 10**38, "total", mapping.OUT_OF_RANGE),
    (("total",), 1e300, "total", mapping.OUT_OF_RANGE),
    (("total_tax",), "zero", "total_tax", mapping.NOT_MONEY),
    (("shipping_total",), False, "shipping_total", mapping.NOT_MONEY),
    (("discount_total",), "-", "discount_total", mapping.NOT_MONEY),
    (("customer_id",), "guest", "customer_id", mapping.NOT_REFERENCE),
    (("customer_id",), -1, "customer_id", mapping.NOT_REFERENCE),
    (("customer_id",), False, "customer_id", mapping.NOT_REFERENCE),
    (("customer_id",), 0.0, "customer_id", mapping.NOT_REFERENCE),
    (("billing",), "Webhook One", "billing", mapping.NOT_OBJECT),
    (("billing",), ["Webhook"], "billing", mapping.NOT_OBJECT),
    (("billing", "email"), 5, "billing.email", mapping.NOT_STRING),
    (("shipping", "city"), ["Springfield"], "shipping.city", mapping.NOT_STRING),
    (("line_items",), "Mug", "line_items", mapping.NOT_LIST),
    (("line_items",), {"0": {}}, "line_items", mapping.NOT_LIST),
    (("line_items", 0), "Mug", "line_items[0]", mapping.NOT_OBJECT),
    (("line_items", 0, "id"), DELETE, "line_items[0].id", mapping.REQUIRED),
    (("line_items", 0, "id"), "x", "line_items[0].id", mapping.NOT_ID),
    (("line_items", 0, "product_id"), "Mug", "line_items[0].product_id", mapping.NOT_REFERENCE),
    (("line_items", 0, "variation_id"), True, "line_items[0].variation_id", mapping.NOT_REFERENCE),
    (("line_items", 0, "sku"), 1, "line_items[0].sku", mapping.NOT_STRING),
    (("line_items", 0, "name"), ["Mug"], "line_items[0].name", mapping.NOT_STRING),
    (("line_items", 0, "quantity"), "2", "line_items[0].quantity", mapping.NOT_INTEGER),
    (("line_items", 0, "quantity"), 2.0, "line_items[0].quantity", mapping.NOT_INTEGER),
    (("line_items", 0, "quantity"), True, "line_items[0].quantity", mapping.NOT_INTEGER),
    (("line_items", 0, "quantity"), 2**63, "line_items[0].quantity", mapping.OUT_OF_RANGE),
    (("line_items", 0, "price"), "8,99", "line_items[0].price", mapping.NOT_MONEY),
    (("line_items", 0, "price"), float("-inf"), "line_items[0].price", mapping.NOT_MONEY),
    (("line_items", 0, "total"), False, "line_items[0].total", mapping.NOT_MONEY),
    (("line_items", 0, "subtotal"), "lots", "line_items[0].subtotal", mapping.NOT_MONEY),
    (("date_modified_gmt",), DELETE, "date_modified_gmt", mapping.REQUIRED),
    (("date_modified_gmt",), None, "date_modified_gmt", mapping.REQUIRED),
    (("date_modified_gmt",), "", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "2026-11-27", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "27/11/2026 10:27", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "2026-02-30T10:27:37", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "2026-11-27T24:00:00", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "2026-11-27T10:27:37+24:00", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), "0001-01-01T00:30:00+01:00", "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_modified_gmt",), 1795775257, "date_modified_gmt", mapping.NOT_DATETIME),
    (("date_created_gmt",), "yesterday", "date_created_gmt", mapping.NOT_DATETIME),
    (("date_paid_gmt",), True, "date_paid_gmt", mapping.NOT_DATETIME),
    (("date_completed_gmt",), "2026-11-27T10:28:48 UTC", "date_completed_gmt", mapping.NOT_DATETIME),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    ORDER_INVALID,
    ids=[
        f"{field}={value!r}"[:60] if value is not DELETE else f"{field}-absent"
        for _, value, field, _ in ORDER_INVALID
    ],
)
def test_invalid_orders_are_rejected_with_field_and_reason(path, value, field, reason):
    with pytest.raises(MappingError) as raised:
        map_order(mutate(ORDER_CREATED, path, value))
    assert (raised.value.field, raised.value.reason) == (field, reason)
    assert str(raised.value) == f"{field}: {reason}"


PRODUCT_INVALID = [
    # (base, path, value, field, reason)
    (SIMPLE_PRODUCT, (), [SIMPLE_PRODUCT], "payload", mapping.NOT_OBJECT),
    (SIMPLE_PRODUCT, ("id",), DELETE, "id", mapping.REQUIRED),
    (SIMPLE_PRODUCT, ("id",), "WH-W1", "id", mapping.NOT_ID),
    (SIMPLE_PRODUCT, ("type",), DELETE, "type", mapping.REQUIRED),
    (SIMPLE_PRODUCT, ("type",), 1, "type", mapping.NOT_STRING),
    (SIMPLE_PRODUCT, ("name",), None, None, None),  # null name is allowed: maps to None
    (SIMPLE_PRODUCT, ("name",), {"rendered": "Webhook Widget"}, "name", mapping.NOT_STRING),
    (SIMPLE_PRODUCT, ("sku",), 123, "sku", mapping.NOT_STRING),
    (SIMPLE_PRODUCT, ("status",), True, "status", mapping.NOT_STRING),
    (SIMPLE_PRODUCT, ("price",), "9.99 USD", "price", mapping.NOT_MONEY),
    (SIMPLE_PRODUCT, ("price",), " ", "price", mapping.NOT_MONEY),
    (SIMPLE_PRODUCT, ("regular_price",), True, "regular_price", mapping.NOT_MONEY),
    (SIMPLE_PRODUCT, ("sale_price",), float("nan"), "sale_price", mapping.NOT_MONEY),
    (SIMPLE_PRODUCT, ("stock_quantity",), "5", "stock_quantity", mapping.NOT_INTEGER),
    (SIMPLE_PRODUCT, ("stock_quantity",), 5.5, "stock_quantity", mapping.NOT_INTEGER),
    (SIMPLE_PRODUCT, ("stock_quantity",), -(2**63) - 1, "stock_quantity", mapping.OUT_OF_RANGE),
    (SIMPLE_PRODUCT, ("stock_status",), 0, "stock_status", mapping.NOT_STRING),
    (SIMPLE_PRODUCT, ("manage_stock",), "yes", "manage_stock", mapping.NOT_BOOLEAN),
    (SIMPLE_PRODUCT, ("manage_stock",), 1, "manage_stock", mapping.NOT_BOOLEAN),
    (SIMPLE_PRODUCT, ("manage_stock",), "Parent", "manage_stock", mapping.NOT_BOOLEAN),
    (SIMPLE_PRODUCT, ("date_modified_gmt",), DELETE, "date_modified_gmt", mapping.REQUIRED),
    (SIMPLE_PRODUCT, ("date_modified_gmt",), "2026-11-27T10:28", "date_modified_gmt", mapping.NOT_DATETIME),
    (SIMPLE_PRODUCT, ("date_created_gmt",), 0, "date_created_gmt", mapping.NOT_DATETIME),
    (VARIATION, ("parent_id",), 0, "parent_id", mapping.NO_PARENT),
    (VARIATION, ("parent_id",), DELETE, "parent_id", mapping.NO_PARENT),
    (VARIATION, ("parent_id",), "Variable Jacket", "parent_id", mapping.NOT_REFERENCE),
    (VARIATION, ("parent_id",), -29, "parent_id", mapping.NOT_REFERENCE),
]


@pytest.mark.parametrize(
    ("base", "path", "value", "field", "reason"),
    PRODUCT_INVALID,
    ids=[
        f"{base['id']}-{'.'.join(map(str, path)) or 'payload'}={value!r}"[:60] if value is not DELETE
        else f"{base['id']}-{'.'.join(map(str, path))}-absent"
        for base, path, value, _, _ in PRODUCT_INVALID
    ],
)
def test_invalid_products_are_rejected_with_field_and_reason(base, path, value, field, reason):
    payload = mutate(base, path, value)
    if field is None:
        assert_product_record(map_product(payload))
        return
    with pytest.raises(MappingError) as raised:
        map_product(payload)
    assert (raised.value.field, raised.value.reason) == (field, reason)


@pytest.mark.parametrize(
    ("parent", "field", "reason"),
    [
        ("Variable Jacket", "parent_external_id", mapping.NOT_ID),
        (0, "parent_external_id", mapping.NOT_ID),
        (True, "parent_external_id", mapping.NOT_ID),
        (29.0, "parent_external_id", mapping.NOT_ID),
    ],
)
def test_invalid_caller_parent_is_rejected(parent, field, reason):
    with pytest.raises(MappingError) as raised:
        map_product(REST_VARIATIONS[0], parent_external_id=parent)
    assert (raised.value.field, raised.value.reason) == (field, reason)


def test_caller_parent_contradicting_a_non_variation_type_is_rejected():
    with pytest.raises(MappingError) as raised:
        map_product(SIMPLE_PRODUCT, parent_external_id="29")
    assert (raised.value.field, raised.value.reason) == ("type", mapping.NOT_VARIATION)


def test_mapping_error_is_a_value_error_that_survives_pickling():
    error = MappingError("line_items[0].quantity", "must be an integer")
    assert isinstance(error, ValueError)
    assert str(error) == "line_items[0].quantity: must be an integer"
    copied = pickle.loads(pickle.dumps(error))  # RQ stores exceptions of failed jobs
    assert (copied.field, copied.reason, str(copied)) == (error.field, error.reason, str(error))


# ---------------------------------------------------------------- record shape checks


def assert_money(value):
    """None, or a canonical decimal string that round-trips through Decimal."""
    if value is None:
        return
    assert isinstance(value, str)
    amount = Decimal(value)
    assert amount.is_finite()
    assert format(amount, "f") == value
    assert not value.startswith("-0") or amount != 0


def assert_time(value):
    """None, or an aware UTC datetime."""
    if value is not None:
        assert isinstance(value, datetime)
        assert value.utcoffset() == timedelta(0)


def assert_id(value, *, optional=False):
    """A string of digits (or None when optional)."""
    if optional and value is None:
        return
    assert isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0


def assert_optional(value, kind):
    """None or an instance of `kind` (booleans are not integers here)."""
    assert value is None or (isinstance(value, kind) and not (kind is int and isinstance(value, bool)))


def assert_order_record(record):
    """Check the exact keys and types of an order record."""
    assert set(record) == ORDER_KEYS
    assert_id(record["external_id"])
    for key in ("number", "status", "currency", "payment_method"):
        assert_optional(record[key], str)
    for key in ORDER_MONEY:
        assert_money(record[key])
    assert set(record["customer"]) == CUSTOMER_KEYS
    assert_id(record["customer"]["external_id"], optional=True)
    for key in ("email", "first_name", "last_name"):
        assert_optional(record["customer"][key], str)
    for address in (record["billing"], record["shipping"]):
        assert isinstance(address, dict)
        for part in address.values():
            assert_optional(part, str)
    assert isinstance(record["line_items"], list)
    for line in record["line_items"]:
        assert set(line) == LINE_ITEM_KEYS
        assert_id(line["external_id"])
        assert_id(line["product_external_id"], optional=True)
        assert_id(line["variation_external_id"], optional=True)
        assert_optional(line["sku"], str)
        assert_optional(line["name"], str)
        assert_optional(line["quantity"], int)
        assert_money(line["price"])
        assert_money(line["total"])
    for key in ("created_at", "paid_at", "completed_at"):
        assert_time(record[key])
    assert record["modified_at"] is not None
    assert_time(record["modified_at"])


def assert_product_record(record):
    """Check the exact keys and types of a product record."""
    assert set(record) == PRODUCT_KEYS
    assert_id(record["external_id"])
    assert isinstance(record["type"], str)
    if record["type"] == mapping.VARIATION_TYPE:
        assert_id(record["parent_external_id"])
    else:
        assert record["parent_external_id"] is None
    for key in ("name", "sku", "status", "stock_status"):
        assert_optional(record[key], str)
    for key in PRODUCT_MONEY:
        assert_money(record[key])
    assert_optional(record["stock_quantity"], int)
    assert_optional(record["manage_stock"], bool)
    assert_time(record["created_at"])
    assert record["modified_at"] is not None
    assert_time(record["modified_at"])


# ---------------------------------------------------------------- properties

MAPPING_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@MAPPING_SETTINGS
@given(edits=mutations(ORDER_COMPLETED))
def test_mutated_orders_map_or_raise_mapping_error(edits):
    payload = apply_mutations(ORDER_COMPLETED, edits)
    try:
        record = map_order(payload)
    except MappingError as error:
        assert error.field and error.reason
        return
    assert_order_record(record)


@MAPPING_SETTINGS
@given(base=st.sampled_from([SIMPLE_PRODUCT, VARIATION, *REST_VARIATIONS]), data=st.data())
def test_mutated_products_map_or_raise_mapping_error(base, data):
    payload = apply_mutations(base, data.draw(mutations(base), label="edits"))
    parent = data.draw(st.one_of(st.none(), st.just("29"), JSON_SCALARS), label="parent_external_id")
    try:
        record = map_product(payload, parent_external_id=parent)
    except MappingError as error:
        assert error.field and error.reason
        return
    assert_product_record(record)


@settings(max_examples=200, deadline=None)
@given(payload=JSON_VALUES)
def test_arbitrary_json_only_ever_raises_mapping_error(payload):
    for function in (map_order, map_product, deleted_id):
        try:
            function(payload)
        except MappingError:
            pass


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 12).flatmap(
        lambda places: st.decimals(
            min_value=-(10**20), max_value=10**20, places=places, allow_nan=False, allow_infinity=False
        )
    )
)
def test_decimal_strings_round_trip_exactly_keeping_their_scale(amount):
    text = format(amount, "f")
    mapped = map_product(mutate(SIMPLE_PRODUCT, ("price",), text))["price"]
    assert Decimal(mapped) == amount
    assert Decimal(mapped).as_tuple().exponent == amount.as_tuple().exponent
    assert mapped == (format(amount.copy_abs(), "f") if amount.is_zero() else text)


@settings(max_examples=200, deadline=None)
@given(text=st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,8})?", fullmatch=True))
def test_store_formatted_money_strings_round_trip(text):
    mapped = map_order(mutate(ORDER_CREATED, ("total",), text))["total"]
    assert Decimal(mapped) == Decimal(text)
    assert Decimal(mapped).as_tuple().exponent == Decimal(text).as_tuple().exponent


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).filter(
        lambda f: f == 0 or abs(f) >= 1e-12
    )
)
def test_json_number_money_is_read_from_its_shortest_repr_not_float_arithmetic(value):
    record = map_order(mutate(ORDER_CREATED, ("line_items", 0, "price"), value))
    mapped = record["line_items"][0]["price"]
    assert Decimal(mapped) == Decimal(repr(value))


@settings(max_examples=100, deadline=None)
@given(value=st.integers(-(10**37), 10**37))
def test_integer_money_is_exact(value):
    assert map_order(mutate(ORDER_CREATED, ("total",), value))["total"] == str(value)


@settings(max_examples=100, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)))
def test_gmt_times_round_trip(moment):
    text = moment.replace(microsecond=0).isoformat()
    assume("T" in text)
    record = map_order(mutate(ORDER_CREATED, ("date_modified_gmt",), text))
    assert record["modified_at"] == moment.replace(microsecond=0, tzinfo=timezone.utc)


@given(
    st.text(alphabet="-0123456789.", max_size=45)
    | st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{1,40})?", fullmatch=True)
    | st.floats()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.booleans()
)
@example("-0")
@example("-0.00")
@example(-0.0)
@example("007.5")
@example("1.")
@example(".5")
@example(1e16)
@example(1e-7)
@example(float("nan"))
@example(True)
@example(10**38 - 1)
@example(-(10**38 - 1))
@example(10**38)
@example("9" * 39)
def test_money_short_cut_for_canonical_values_agrees_with_parsing(text):
    """`read_money` returns canonical money text as it is; that must be exactly what parsing gives."""
    try:
        parsed = readers.format_money(readers.read_decimal(text, "total"))
    except MappingError as error:
        with pytest.raises(MappingError) as raised:
            readers.read_money(text, "total")
        assert raised.value.reason == error.reason
    else:
        assert readers.read_money(text, "total") == parsed
