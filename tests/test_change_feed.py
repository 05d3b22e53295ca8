"""The change feed (`GET /api/changes`): positions handed out at commit, one sequence across
connections, each record once at its newest version; followed while writers run, on SQLite or
PostgreSQL (TEST_DATABASE_URL)."""

import itertools
import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from db.models import Connection, Order, Product
from db.records import mark_deleted, upsert_many
from db.session import get_sessionmaker, transaction
from stores.woocommerce.mapping import map_order, map_product
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.payload_edits import mutate

ORDER = load_delivery("04").json()
PRODUCT = load_delivery("06").json()


def order_record(order_id: int, minutes: int = 0, status: str = "processing") -> dict:
    """An order `minutes` newer than the capture, in `status`."""
    payload = mutate(mutate(ORDER, ("id",), order_id), ("status",), status)
    modified = map_order(payload)["modified_at"] + timedelta(minutes=minutes)
    return map_order(mutate(payload, ("date_modified_gmt",), modified.strftime("%Y-%m-%dT%H:%M:%S")))


def product_record(product_id: int, minutes: int = 0) -> dict:
    payload = mutate(PRODUCT, ("id",), product_id)
    modified = map_product(payload)["modified_at"] + timedelta(minutes=minutes)
    return map_product(mutate(payload, ("date_modified_gmt",), modified.strftime("%Y-%m-%dT%H:%M:%S")))


@pytest.fixture
def shops(environment):
    """Two connections: their public ids and primary keys."""
    public_ids = [make_connection(), make_connection(access_token="ck_" + "1" * 40)]
    with transaction(environment["DATABASE_URL"]) as session:
        pks = dict(session.execute(select(Connection.public_id, Connection.id).where(Connection.public_id.in_(public_ids))).all())
    return [(public_id, pks[public_id]) for public_id in public_ids]


def store(url: str, connection_pk: int, orders=(), products=()) -> None:
    """Store records of one connection in one transaction."""
    with transaction(url) as session:
        if orders:
            upsert_many(session, Order, [{**record, "connection_id": connection_pk} for record in orders])
        if products:
            upsert_many(session, Product, [{**record, "connection_id": connection_pk} for record in products])


def feed(client, **query) -> dict:
    response = client.get("/api/changes", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def keys(page: dict) -> list[tuple]:
    return [(change["entity"], change["connection_id"], change["record"]["external_id"]) for change in page["changes"]]


def test_a_reader_resuming_from_its_last_position_sees_each_change_once(client, environment, shops):
    url, ((shop, shop_pk), (outlet, outlet_pk)) = environment["DATABASE_URL"], shops
    store(url, shop_pk, orders=[order_record(1), order_record(2)])
    store(url, outlet_pk, orders=[order_record(1)], products=[product_record(10)])
    first = feed(client)
    assert keys(first) == [("orders", shop, "1"), ("orders", shop, "2"), ("orders", outlet, "1"), ("products", outlet, "10")]
    positions = [change["position"] for change in first["changes"]]
    assert positions == sorted(set(positions)) and first["next_after"] == positions[-1]
    assert feed(client, after=first["next_after"]) == {"changes": [], "next_after": first["next_after"]}

    store(url, shop_pk, orders=[order_record(2, minutes=5, status="completed"), order_record(1)])  # 1: the same version again
    again = feed(client, after=first["next_after"])
    assert keys(again) == [("orders", shop, "2")]
    assert again["changes"][0]["record"]["status"] == "completed"
    assert again["changes"][0]["position"] > first["next_after"]
    # From the start, each record once, at its newest version: order 2 has moved to the end.
    assert keys(feed(client))[-1] == ("orders", shop, "2") and len(feed(client)["changes"]) == 4


def test_the_feed_shows_a_record_as_the_read_api_does_deletions_included(client, environment, shops):
    url, ((shop, shop_pk), _) = environment["DATABASE_URL"], shops
    store(url, shop_pk, orders=[order_record(7)], products=[product_record(10)])
    with transaction(url) as session:
        mark_deleted(session, Order, shop_pk, "7")
    changes = feed(client)["changes"]
    assert [change["entity"] for change in changes] == ["products", "orders"]
    assert changes[1]["record"] == client.get(f"/api/connections/{shop}/orders/7").json
    assert changes[1]["record"]["deleted"] is True and changes[1]["record"]["line_items"]
    assert changes[0]["record"] == client.get(f"/api/connections/{shop}/products/10").json
    last = feed(client)["next_after"]
    with transaction(url) as session:
        mark_deleted(session, Order, shop_pk, "7")  # deleted already: nothing changed
    assert feed(client, after=last)["changes"] == []


def test_pages_filters_and_limits(client, environment, shops):
    url, ((shop, shop_pk), (outlet, outlet_pk)) = environment["DATABASE_URL"], shops
    store(url, shop_pk, orders=[order_record(n) for n in range(1, 6)], products=[product_record(10)])
    store(url, outlet_pk, orders=[order_record(1)], products=[product_record(11)])
    page = feed(client, limit=2)
    assert keys(page) == [("orders", shop, "1"), ("orders", shop, "2")]
    rest = feed(client, after=page["next_after"], limit=1000)
    assert len(rest["changes"]) == 6
    assert keys(feed(client, connection=outlet)) == [("orders", outlet, "1"), ("products", outlet, "11")]
    assert keys(feed(client, entity="products")) == [("products", shop, "10"), ("products", outlet, "11")]
    assert keys(feed(client, entity="orders", connection=outlet)) == [("orders", outlet, "1")]


def test_writes_in_savepoints_are_numbered_at_the_commit_even_beside_one_rolled_back(client, environment, shops):
    url, ((shop, shop_pk), _) = environment["DATABASE_URL"], shops
    with transaction(url) as session:
        upsert_many(session, Order, [{**order_record(1), "connection_id": shop_pk}])
        with session.begin_nested():  # as db.refusals stores a batch
            upsert_many(session, Order, [{**order_record(2), "connection_id": shop_pk}])
        with pytest.raises(ZeroDivisionError), session.begin_nested():
            upsert_many(session, Order, [{**order_record(3), "connection_id": shop_pk}])
            raise ZeroDivisionError
        upsert_many(session, Product, [{**product_record(10), "connection_id": shop_pk}])
    assert keys(feed(client)) == [("orders", shop, "1"), ("orders", shop, "2"), ("products", shop, "10")]
    with transaction(url) as session:
        assert session.scalar(select(func.count()).select_from(Order).where(Order.change_position.is_(None))) == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=-1", "after"), ("after=x", "after"), ("after=99999999999999999999", "after"), ("limit=0", "limit"),
        ("limit=1001", "limit"), ("entity=customers", "entity"), ("connection=nope", "connection"),
        ("connection=%00", "connection"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, environment, query, field):
    response = client.get(f"/api/changes?{query}")
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_the_feed_needs_the_admin_token(anonymous, environment):
    assert anonymous.get("/api/changes").status_code == 401


WRITERS = 4
ROUNDS = 12
RECORDS = 20


def test_a_reader_following_the_feed_while_writers_commit_misses_nothing(client, environment, shops):
    """Writers store overlapping records in overlapping transactions, each pausing between taking
    its positions and committing; a reader pages through the feed all along. It sees positions
    only rising, and ends with every record at its final version."""
    url = environment["DATABASE_URL"]
    versions = itertools.count(1)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def pause_before_commit(session):
        if threading.current_thread().name.startswith("writer"):
            time.sleep(random.uniform(0, 0.03))  # the positions are taken (db.changes ran first); not committed yet

    factory = get_sessionmaker(url)
    event.listen(factory, "before_commit", pause_before_commit)

    def write(number: int) -> None:
        generator = random.Random(number)
        try:
            for _ in range(ROUNDS):
                _, connection_pk = shops[generator.randrange(2)]
                with lock:
                    minutes = next(versions)
                ids = generator.sample(range(1, RECORDS + 1), 5)
                store(url, connection_pk, orders=[order_record(n, minutes, status=f"v{minutes}") for n in ids[:3]],
                      products=[product_record(n, minutes) for n in ids[3:]])
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    writers = [threading.Thread(target=write, args=(n,), name=f"writer-{n}") for n in range(WRITERS)]
    seen: dict[tuple, dict] = {}
    positions: list[int] = []

    def read_page(after: int) -> int:
        page = feed(client, after=after, limit=7)
        for change in page["changes"]:
            positions.append(change["position"])
            seen[change["entity"], change["connection_id"], change["record"]["external_id"]] = change["record"]
        return page["next_after"]

    try:
        for writer in writers:
            writer.start()
        after = 0
        while any(writer.is_alive() for writer in writers):
            after = read_page(after)
        for writer in writers:
            writer.join()
        while (following := read_page(after)) != after:
            after = following
    finally:
        event.remove(factory, "before_commit", pause_before_commit)
    assert not failures, failures
    assert positions == sorted(set(positions)), "positions must only rise"
    final = {}
    for public_id, _ in shops:
        for entity in ("orders", "products"):
            for record in client.get(f"/api/connections/{public_id}/{entity}?per_page=100").json["items"]:
                detail = client.get(f"/api/connections/{public_id}/{entity}/{record['external_id']}").json
                final[entity, public_id, record["external_id"]] = detail
    assert len(final) > RECORDS
    assert seen == final
