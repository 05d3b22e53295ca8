"""db.records.upsert_many on the real database: created, updated, stale; line items replaced with their order."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import Connection, Order, OrderLineItem, Product
from db.records import Outcome, mark_deleted, upsert_many
from db.session import transaction
from stores.woocommerce.mapping import map_order, map_product
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.payload_edits import mutate

ORDER = load_delivery("04").json()
PRODUCT = load_delivery("06").json()


def order_record(order_id: int, minutes: int = 0, **changes):
    """An order record `minutes` newer than the capture, with `changes` to its payload."""
    payload = mutate(ORDER, ("id",), order_id)
    modified = map_order(payload)["modified_at"] + timedelta(minutes=minutes)
    payload = mutate(payload, ("date_modified_gmt",), modified.strftime("%Y-%m-%dT%H:%M:%S"))
    for key, value in changes.items():
        payload = mutate(payload, (key,), value)
    return map_order(payload)


@pytest.fixture
def store(environment):
    """upsert_many for a new connection, in a transaction of its own; answers the outcomes."""
    connection_pk = connection_of(make_connection())

    def upsert(records, model=Order, *, connection=None, confirmed=False):
        """The outcomes by external id, for records of one connection."""
        connection = connection or connection_pk
        with transaction(environment["DATABASE_URL"]) as session:
            outcomes = upsert_many(session, model, [{**record, "connection_id": connection} for record in records], confirmed=confirmed)
        assert {key[0] for key in outcomes} <= {connection}
        return {external_id: outcome for (_, external_id), outcome in outcomes.items()}

    upsert.connection = connection_pk
    return upsert


def connection_of(public_id: str) -> int:
    from config import get_settings

    with transaction(get_settings().database_url) as session:
        return session.scalar(select(Connection.id).where(Connection.public_id == public_id))


def stored_orders(environment, connection_pk: int) -> dict[str, tuple]:
    with transaction(environment["DATABASE_URL"]) as session:
        rows = session.execute(select(Order.id, Order.external_id, Order.status, Order.total, Order.deleted).where(Order.connection_id == connection_pk))
        orders = {row.external_id: (row.status, row.total, row.deleted) for row in rows}
        items = session.execute(select(Order.external_id, OrderLineItem.name).join(OrderLineItem, OrderLineItem.order_id == Order.id).where(Order.connection_id == connection_pk).order_by(OrderLineItem.position))
        lines: dict[str, list] = {}
        for external_id, name in items:
            lines.setdefault(external_id, []).append(name)
    return {key: (*value, lines.get(key, [])) for key, value in orders.items()}


def test_new_records_are_created_and_the_same_versions_again_are_stale(store, environment):
    assert store([order_record(1), order_record(2)]) == {"1": Outcome.CREATED, "2": Outcome.CREATED}
    assert store([order_record(1), order_record(2)]) == {"1": Outcome.STALE, "2": Outcome.STALE}
    assert set(stored_orders(environment, store.connection)) == {"1", "2"}


def test_a_batch_of_new_newer_and_older_versions_gets_each_its_outcome(store, environment):
    store([order_record(1, 10, status="processing"), order_record(2, 10, status="processing")])
    newer = order_record(1, 20, status="completed", total="99.00", line_items=[{**ORDER["line_items"][0], "name": "Renamed"}])
    older = order_record(2, 5, status="pending")
    outcomes = store([newer, older, order_record(3)])
    assert outcomes == {"1": Outcome.UPDATED, "2": Outcome.STALE, "3": Outcome.CREATED}
    orders = stored_orders(environment, store.connection)
    assert orders["1"] == ("completed", "99.00", False, ["Renamed"])  # line items replaced, not added to
    assert orders["2"][:2] == ("processing", ORDER["total"])
    assert len(orders["2"][3]) == len(ORDER["line_items"])


def test_the_newest_of_several_versions_in_one_batch_wins(store, environment):
    outcomes = store([order_record(1, 3, status="b"), order_record(1, 9, status="c"), order_record(1, 1, status="a")])
    assert outcomes == {"1": Outcome.CREATED}
    assert stored_orders(environment, store.connection)["1"][0] == "c"


def test_only_a_version_read_from_the_store_changes_deletion_at_the_same_time(store, environment):
    store([order_record(1, 10)])
    with transaction(environment["DATABASE_URL"]) as session:
        assert mark_deleted(session, Order, store.connection, "1") == Outcome.DELETED
    assert store([order_record(1, 10)]) == {"1": Outcome.STALE}  # a delivery's body: not newer
    assert stored_orders(environment, store.connection)["1"][2] is True
    assert store([order_record(1, 9)], confirmed=True) == {"1": Outcome.STALE}  # older, even from the store
    assert store([order_record(1, 10)], confirmed=True) == {"1": Outcome.UPDATED}  # the store says live
    assert stored_orders(environment, store.connection)["1"][2] is False
    assert store([order_record(1, 10)], confirmed=True) == {"1": Outcome.STALE}  # the same again changes nothing
    assert store([{**order_record(1, 10), "status": "trash", "deleted": True}], confirmed=True) == {"1": Outcome.UPDATED}
    assert stored_orders(environment, store.connection)["1"][2] is True


def test_connections_keep_their_own_records_of_the_same_id(store, environment):
    other = connection_of(make_connection())
    store([order_record(1, 10, status="mine")])
    assert store([order_record(1, 0, status="theirs")], connection=other) == {"1": Outcome.CREATED}
    assert stored_orders(environment, store.connection)["1"][0] == "mine"
    assert stored_orders(environment, other)["1"][0] == "theirs"


def test_products_take_the_same_path(store, environment):
    product = map_product(PRODUCT)
    assert store([product], Product) == {product["external_id"]: Outcome.CREATED}
    newer = {**product, "name": "New name", "modified_at": product["modified_at"] + timedelta(seconds=1)}
    assert store([newer], Product) == {product["external_id"]: Outcome.UPDATED}
    assert store([product], Product) == {product["external_id"]: Outcome.STALE}
    with transaction(environment["DATABASE_URL"]) as session:
        assert session.scalar(select(Product.name).where(Product.connection_id == store.connection)) == "New name"


def test_records_of_several_connections_go_in_one_call_each_under_its_own_connection(store, environment):
    other = connection_of(make_connection())
    store([order_record(1, 10, status="old")])
    records = [
        {**order_record(1, 20, status="mine"), "connection_id": store.connection},
        {**order_record(1, 0, status="theirs"), "connection_id": other},
        {**order_record(2, 0), "connection_id": other},
    ]
    with transaction(environment["DATABASE_URL"]) as session:
        outcomes = upsert_many(session, Order, records)
    assert outcomes == {
        (store.connection, "1"): Outcome.UPDATED,
        (other, "1"): Outcome.CREATED,
        (other, "2"): Outcome.CREATED,
    }
    assert stored_orders(environment, store.connection)["1"][0] == "mine"
    assert {key: value[0] for key, value in stored_orders(environment, other).items()} == {"1": "theirs", "2": ORDER["status"]}
