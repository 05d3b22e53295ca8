"""stores.shopify.walks against the Shopify emulator's GraphQL Admin API, over HTTPS as a shop is reached."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from stores.connector import Walk
from stores.shopify import queries, walks
from stores.shopify.mapping import map_order, map_product, variants_of
from tests.resolver import loopback_myshopify
from tests.shopify_emulator import API_VERSION, ManualClock, ShopifyEmulator

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ORDER_START = START - timedelta(days=30)
WALK = walks.WALKS["orders"][0]


class GraphqlClient:
    """The smallest client of the Admin API: answers `data`, fails on `errors`, notes each query's requested cost."""

    def __init__(self, shop: ShopifyEmulator, token: str) -> None:
        self.url = shop.graphql_url(API_VERSION)
        self.ca_file = shop.ca_file
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False
        self.costs: list[int] = []

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = self.session.post(
            self.url, json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": self.token}, verify=self.ca_file, timeout=30,
        )
        body = response.json()
        self.costs.append(body.get("extensions", {}).get("cost", {}).get("requestedQueryCost"))
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def shop(clock):
    # A bucket that never runs dry: waiting for points is the client's part, not the walks'.
    with loopback_myshopify(), ShopifyEmulator(clock=clock, auto_deliver=False, bucket_size=10**9) as emulator:
        yield emulator


@pytest.fixture
def app(shop):
    return shop.create_legacy_app(scopes=["read_orders", "read_all_orders", "read_products"])


@pytest.fixture
def client(shop, app):
    graphql = GraphqlClient(shop, app.access_token)
    yield graphql
    graphql.session.close()


def walk(client, entity, since=None, until=START + timedelta(days=30)):
    """Every page of the entity's walk."""
    return list(walks.changed_pages(client, entity, walks.WALKS[entity][0], since=since, until=until, order_start=ORDER_START))


def test_every_query_costs_at_most_the_single_query_limit(shop, client):
    mug = shop.create_product(title="Mug", variants=[{"sku": f"M-{n}", "price": "1.00"} for n in range(30)])
    order = shop.create_order(line_items=[{"variant_id": variant["id"], "quantity": 1} for variant in mug["variants"][:8]])
    walks.read_record(client, "order", str(order["id"]), None)
    walks.read_record(client, "product", str(mug["id"]), None)
    walks.read_record(client, "product", str(mug["variants"][0]["id"]), str(mug["id"]))
    walk(client, "orders")
    walk(client, "products")
    list(walks.id_pages(client, "orders", order_start=ORDER_START))
    list(walks.id_pages(client, "products", order_start=ORDER_START))
    walks.missing_ids(client, "orders", [(str(n), None) for n in range(1, 300)])
    assert len(client.costs) >= 12 and max(client.costs) <= queries.MAX_QUERY_COST


def test_orders_are_paged_oldest_change_first_past_250(shop, client, clock):
    for _ in range(260):
        shop.create_order(line_items=[{"title": "Tea", "price": "2.50", "quantity": 1}])
        clock.advance(1)
    pages = walk(client, "orders")
    records = [map_order(payload) for page in pages for payload, _ in page.records]
    assert len(records) == 260 == len({record["external_id"] for record in records})
    times = [record["modified_at"] for record in records]
    assert times == sorted(times)
    assert [page.pages_done for page in pages] == list(range(1, len(pages) + 1))
    assert [page.pages_total for page in pages[:-1]] == [page.pages_done + 1 for page in pages[:-1]]
    assert pages[-1].pages_total == pages[-1].pages_done
    assert pages[-1].newest_change == times[-1]


def test_the_window_runs_from_the_cursor_less_the_lag_to_the_poll_start(shop, client, clock):
    old = shop.create_order()
    clock.advance(3600)
    near = shop.create_order()  # changed just before the cursor: Shopify's search may not have had it then
    since = datetime.fromtimestamp(clock(), UTC) + timedelta(seconds=30)
    clock.advance(600)
    new = shop.create_order()
    until = datetime.fromtimestamp(clock(), UTC)
    clock.advance(60)
    shop.create_order()  # after the poll started: the next poll's
    pages = walk(client, "orders", since=since, until=until)
    ids = [payload["id"] for page in pages for payload, _ in page.records]
    assert ids == [f"gid://shopify/Order/{near['id']}", f"gid://shopify/Order/{new['id']}"]
    assert f"gid://shopify/Order/{old['id']}" not in ids


def test_orders_created_before_order_start_are_not_walked(shop, client):
    shop.create_order(created_at=(ORDER_START - timedelta(days=1)).isoformat())
    kept = shop.create_order()
    pages = walk(client, "orders")
    assert [map_order(payload)["external_id"] for page in pages for payload, _ in page.records] == [str(kept["id"])]


def test_an_order_with_many_line_items_comes_with_all_of_them(shop, client):
    items = [{"title": f"Item {n}", "price": "1.00", "quantity": 1} for n in range(queries.LINE_ITEMS_PER_ORDER * 3 + 1)]
    order = shop.create_order(line_items=items)
    (page,) = walk(client, "orders")
    (record,) = [map_order(payload) for payload, _ in page.records]
    assert [item["external_id"] for item in record["line_items"]] == [str(item["id"]) for item in order["line_items"]]


def test_a_polled_order_maps_as_its_webhook_body_does(shop, client):
    mug = shop.create_product(title="Mug", variants=[{"sku": "MUG-1", "price": "8.99"}])
    order = shop.create_order(
        line_items=[{"variant_id": mug["variants"][0]["id"], "quantity": 2}],
        customer={"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"},
        billing_address={"first_name": "Ann", "city": "Oslo", "country_code": "NO"},
        shipping_price="4.00", financial_status="paid", fulfillment_status="fulfilled",
    )
    (page,) = walk(client, "orders")
    assert map_order(page.records[0][0]) == map_order(shop.get_order(order["id"]))


def test_products_come_with_all_their_variants_past_100(shop, client):
    big = shop.create_product(title="Poster", variants=[{"sku": f"P-{n}", "price": "5.00"} for n in range(120)])
    pages = walk(client, "products")
    records = [(map_product(payload, parent), parent) for page in pages for payload, parent in page.records]
    assert records[0][0]["external_id"] == str(big["id"]) and records[0][1] is None
    variants = [record for record, parent in records[1:]]
    assert [record["external_id"] for record in variants] == [str(variant["id"]) for variant in big["variants"]]
    assert {record["parent_external_id"] for record in variants} == {str(big["id"])}
    # the same records as the products/update webhook body gives
    webhook = [map_product(payload, parent) for payload, parent in variants_of(shop.get_product(big["id"]))]
    assert webhook == [record for record, _ in records]


def test_product_pages_hold_every_changed_product(shop, client, clock):
    made = []
    for n in range(queries.PRODUCTS_PER_PAGE + 5):
        made.append(shop.create_product(title=f"Cup {n}", variants=[{"sku": f"C-{n}", "price": "3.00"}]))
        clock.advance(1)
    pages = walk(client, "products")
    assert len(pages) == 2
    parents = [payload["id"] for page in pages for payload, parent in page.records if parent is None]
    assert parents == [f"gid://shopify/Product/{product['id']}" for product in made]


def test_id_pages_list_every_order_and_every_variant(shop, client):
    orders = [shop.create_order() for _ in range(queries.ORDER_IDS_PER_PAGE + 3)]
    pages = list(walks.id_pages(client, "orders", order_start=ORDER_START))
    assert len(pages) == 2 and pages[0].pages_total == 2
    assert set().union(*(page.ids for page in pages)) == {str(order["id"]) for order in orders}
    big = shop.create_product(title="Poster", variants=[{"sku": f"P-{n}", "price": "5.00"} for n in range(60)])
    (page,) = walks.id_pages(client, "products", order_start=ORDER_START)
    assert page.ids == {str(big["id"])} | {str(variant["id"]) for variant in big["variants"]}


def test_reconciliation_confirms_only_what_the_shop_no_longer_has(shop, client):
    kept, gone = shop.create_order(), shop.create_order()
    shop.delete_order(gone["id"])
    assert walks.missing_ids(client, "orders", [(str(kept["id"]), None), (str(gone["id"]), None)]) == [str(gone["id"])]
    mug = shop.create_product(title="Mug", variants=[{"sku": "M"}])
    cup = shop.create_product(title="Cup", variants=[{"sku": "C"}])
    shop.delete_product(cup["id"])
    candidates = [
        (str(mug["id"]), None), (str(mug["variants"][0]["id"]), str(mug["id"])),
        (str(cup["id"]), None), (str(cup["variants"][0]["id"]), str(cup["id"])),
    ]
    assert walks.missing_ids(client, "products", candidates) == sorted([str(cup["id"]), str(cup["variants"][0]["id"])])


def test_without_read_all_orders_no_order_is_confirmed_gone(shop, client, app, clock):
    old = shop.create_order()
    clock.advance(61 * 86400)  # older than the 60 days Shopify shows without read_all_orders
    gone = shop.create_order()
    shop.delete_order(gone["id"])
    candidates = [(str(old["id"]), None), (str(gone["id"]), None)]
    assert walks.missing_ids(client, "orders", candidates) == [str(gone["id"])]
    shop.set_scopes(app, ["read_orders", "read_products"])
    assert walks.missing_ids(client, "orders", candidates) == []


def test_read_record_answers_the_record_now_or_none_once_deleted(shop, client):
    mug = shop.create_product(title="Mug", variants=[{"sku": "M", "price": "8.99", "compare_at_price": "12.00"}])
    variant_id, product_id = str(mug["variants"][0]["id"]), str(mug["id"])
    order = shop.create_order(line_items=[{"variant_id": int(variant_id), "quantity": 1}])
    payload, parent = walks.read_record(client, "order", str(order["id"]), None)
    assert parent is None and map_order(payload) == map_order(shop.get_order(order["id"]))
    payload, parent = walks.read_record(client, "product", variant_id, product_id)
    assert map_product(payload, parent) == map_product(*variants_of(shop.get_product(mug["id"]))[1])
    shop.delete_order(order["id"])
    shop.delete_product(mug["id"])
    assert walks.read_record(client, "order", str(order["id"]), None) is None
    assert walks.read_record(client, "product", product_id, None) is None
    assert walks.read_record(client, "product", variant_id, product_id) is None


def test_each_entity_has_one_walk_on_the_cursor_column():
    assert walks.WALKS == {"orders": (Walk("updated", "cursor"),), "products": (Walk("updated", "cursor"),)}
