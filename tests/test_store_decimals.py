"""Every amount is stored at the store's number of decimals, as the store writes its order totals."""

import pytest

from stores.woocommerce.money import at_decimals, price_decimals
from tests.woo_emulator import WooEmulator


@pytest.mark.parametrize(
    ("amount", "decimals", "expected"),
    [
        ("10", 2, "10.00"),  # a product price as the shop manager typed it
        ("45.5", 2, "45.50"),  # a line item's price: a JSON number, total / quantity
        ("3.3333333333333335", 2, "3.33"),
        ("1.005", 2, "1.01"),  # half away from zero, as wc_format_decimal (PHP's round) does
        ("-1.005", 2, "-1.01"),
        ("-0.001", 2, "0.00"),  # never a negative zero
        ("17.98", 2, "17.98"),
        ("17.98", 3, "17.980"),
        ("10.5", 0, "11"),
        ("1500", 0, "1500"),
        (None, 2, None),
    ],
)
def test_an_amount_takes_the_store_decimals(amount, decimals, expected):
    assert at_decimals(amount, decimals) == expected


@pytest.mark.parametrize(("setting", "trusted"), [(0, 0), (3, 3), (8, 8), (9, None), (-1, None), ("2", None), (True, None), (None, None)])
def test_only_a_plausible_number_of_decimals_is_trusted(setting, trusted):
    assert price_decimals(setting) == trusted


@pytest.fixture
def shop():
    """A store whose *Number of decimals* setting is 3 (as Kuwaiti dinar stores have it)."""
    with WooEmulator(price_decimals=3) as store:
        store.key, store.secret = store.new_key()
        yield store


def connect(client, store: WooEmulator, run_jobs) -> str:
    body = {"name": "Shop", "external_system": "woocommerce", "api_url": store.base_url,
            "access_token": store.key, "secret": store.secret, "order_start": "2020-01-01"}
    response = client.post("/api/connections", json=body)
    assert response.status_code == 201, response.json
    assert run_jobs() == 1  # the webhooks' registration
    return response.json["id"]


def test_delivered_orders_and_products_have_the_store_decimals(client, shop, run_jobs):
    connection_id = connect(client, shop, run_jobs)
    assert client.get(f"/api/connections/{connection_id}").json["store"]["price_decimals"] == 3
    mug = shop.create_product(name="Mug", sku="SKU-1", regular_price="10", sale_price="8.5")
    order = shop.create_order(
        status="processing",
        line_items=[{"product_id": mug["id"], "quantity": 3}],
        shipping_lines=[{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5"}],
    )
    sent = shop.get_order(order["id"])
    assert (sent["total"], sent["line_items"][0]["price"]) == ("30.500", 8.5)  # as WooCommerce sends them
    assert {result.status for result in shop.run_cron()} == {202}
    run_jobs()

    product = client.get(f"/api/connections/{connection_id}/products/{mug['id']}").json
    assert (product["price"], product["regular_price"], product["sale_price"]) == ("8.500", "10.000", "8.500")
    stored = client.get(f"/api/connections/{connection_id}/orders/{order['id']}").json
    amounts = {name: stored[name] for name in ("total", "subtotal", "total_tax", "shipping_total", "discount_total")}
    assert amounts == {"total": "30.500", "subtotal": "25.500", "total_tax": "0.000", "shipping_total": "5.000",
                       "discount_total": "0.000"}
    assert [(item["price"], item["total"]) for item in stored["line_items"]] == [("8.500", "25.500")]


def test_a_poll_picks_up_a_changed_number_of_decimals(client, shop, run_jobs):
    connection_id = connect(client, shop, run_jobs)
    mug = shop.create_product(name="Mug", sku="SKU-1", regular_price="8.5")
    shop.price_decimals = 0  # the owner changes the setting after the connection was made
    assert client.post(f"/api/connections/{connection_id}/sync", json={"entity": "products"}).status_code == 202
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}").json["store"]["price_decimals"] == 0
    product = client.get(f"/api/connections/{connection_id}/products/{mug['id']}").json
    assert (product["price"], product["regular_price"]) == ("9", "9")
