"""Records at the edges of what the database takes: stored when within the columns' bounds,
refused alone (into the failed registry, with its connection and why) when not, and never at
the cost of the good events beside them. Run it on PostgreSQL too (TEST_DATABASE_URL): it
refuses what SQLite takes (integers past 32 bits in INTEGER, text past a VARCHAR's width)."""

import json

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from db.models import OrderLineItem
from db.refusals import refusal_reason
from db.session import transaction
from jobs.failures import failed_jobs
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import wait_until
from tests.test_receiver import post_delivery

# Long enough to pass any VARCHAR a text could end up in, short enough for the receiver's limit.
LONG = "x" * 300_000
# A lone surrogate: valid JSON (`\ud800`), but no database encoding can hold it.
UNENCODABLE = "Mug \ud800"
# Generous: a worker process stores a batch in well under a second.
STORED_WITHIN_SECONDS = 30
ORDER, PRODUCT, VARIATION = load_delivery("04"), load_delivery("06"), load_delivery("07")


def send(anonymous, connection_id: str, delivery, payload: dict):
    """Sign and deliver `payload` as `delivery`'s topic; answer the receiver's response."""
    body = json.dumps(payload).encode()  # ASCII, with \\uXXXX escapes, as WooCommerce writes it
    return post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})


def order(order_id: int, **changes) -> dict:
    return {**ORDER.json(), "id": order_id, "number": str(order_id), **changes}


def line_item(**changes) -> list[dict]:
    return [{**ORDER.json()["line_items"][0], **changes}]


def address(kind: str, key: str, value) -> dict:
    return {**ORDER.json()[kind], key: value}


# (record id, delivery, payload, where the API shows the value, the value it shows)
INTEGERS = [
    *[(100 + i, ORDER, order(100 + i, line_items=line_item(quantity=value)), ("line_items", 0, "quantity"), value)
      for i, value in enumerate([2**31 - 1, 2**31, 3_000_000_000, 2**63 - 1, -(2**63)])],
    *[(200 + i, ORDER, order(200 + i, customer_id=value), ("customer", "external_id"), str(value))
      for i, value in enumerate([2**31, 2**63 - 1, 2**63, 2**64 - 1])],
    *[(300 + i, PRODUCT, {**PRODUCT.json(), "id": 300 + i, "stock_quantity": value}, ("stock_quantity",), value)
      for i, value in enumerate([2**31, 3_000_000_000, 2**63 - 1, -(2**63)])],
    (320, VARIATION, {**VARIATION.json(), "id": 320, "stock_quantity": 2**62}, ("stock_quantity",), 2**62),
    # The widest money the mapper accepts: 38 digits, with a sign, a leading zero and a point.
    (400, ORDER, order(400, total="-0." + "0" * 37 + "1"), ("total",), "-0." + "0" * 37 + "1"),
    (401, ORDER, order(401, line_items=line_item(price="9" * 38)), ("line_items", 0, "price"), "9" * 38),
]
ORDER_TEXTS = ["number", "status", "currency", "payment_method"]
TEXTS = [
    *[(500 + i, ORDER, order(500 + i, **{field: LONG}), (field,), LONG) for i, field in enumerate(ORDER_TEXTS)],
    *[(520 + i, ORDER, order(520 + i, billing=address("billing", key, LONG)), ("billing", key), LONG)
      for i, key in enumerate(ORDER.json()["billing"])],
    *[(540 + i, ORDER, order(540 + i, shipping=address("shipping", key, LONG)), ("shipping", key), LONG)
      for i, key in enumerate(ORDER.json()["shipping"])],
    *[(560 + i, ORDER, order(560 + i, line_items=line_item(**{key: LONG})), ("line_items", 0, key), LONG)
      for i, key in enumerate(["name", "sku"])],
    *[(580 + i, PRODUCT, {**PRODUCT.json(), "id": 580 + i, field: LONG}, (field,), LONG)
      for i, field in enumerate(["name", "sku", "status", "stock_status", "type"])],
    # NUL: PostgreSQL text cannot hold it; the mapper stores U+FFFD instead, JSON keeps its escape.
    (600, ORDER, order(600, line_items=line_item(name="Mug\x00")), ("line_items", 0, "name"), "Mug\ufffd"),
    (601, ORDER, order(601, billing=address("billing", "city", "\x00")), ("billing", "city"), "\ufffd"),
    (602, PRODUCT, {**PRODUCT.json(), "id": 602, "sku": "A\x00B"}, ("sku",), "A\ufffdB"),
    # Addresses are JSON, which keeps what text columns cannot, escaped: NUL in keys, lone surrogates.
    (603, ORDER, order(603, billing={**ORDER.json()["billing"], "a\x00b": "\x00"}), ("billing", "a\x00b"), "\ufffd"),
    (604, ORDER, order(604, billing=address("billing", "city", UNENCODABLE)), ("billing", "city"), UNENCODABLE),
]
# Values past what the mapper accepts: the receiver answers 400 naming the field.
OUT_OF_BOUNDS = [
    (700, ORDER, order(700, line_items=line_item(quantity=2**63)), "line_items[0].quantity"),
    (701, ORDER, order(701, line_items=line_item(quantity=-(2**63) - 1)), "line_items[0].quantity"),
    (702, ORDER, order(702, customer_id=2**64), "customer_id"),
    (703, PRODUCT, {**PRODUCT.json(), "id": 703, "stock_quantity": 2**64}, "stock_quantity"),
    (704, ORDER, order(704, total="1" * 39), "total"),
]
# Accepted by the mapper, refused when written: each fails alone, with its connection and why.
REFUSED = [
    (800, ORDER, order(800, line_items=line_item(name=UNENCODABLE))),
    (801, ORDER, order(801, payment_method=UNENCODABLE)),
    (802, PRODUCT, {**PRODUCT.json(), "id": 802, "name": UNENCODABLE}),
]


def shown(record: dict, path: tuple):
    for step in path:
        record = record[step]
    return record


def test_each_poison_event_fails_alone_and_every_good_order_beside_it_is_stored(app, anonymous, client, redis_client, start_service):
    connection_id = make_connection()
    good: list[str] = []

    def good_order():
        good.append(str(9000 + len(good)))
        assert send(anonymous, connection_id, ORDER, order(int(good[-1]))).status_code == 202

    # No worker yet: the poison and the good events share the drain's first batch.
    for _, delivery, payload, *_ in INTEGERS + TEXTS:
        assert send(anonymous, connection_id, delivery, payload).status_code == 202
        good_order()
    for record_id, delivery, payload, field in OUT_OF_BOUNDS:
        response = send(anonymous, connection_id, delivery, payload)
        assert (response.status_code, response.json["error"]["message"]) == (400, f"{field}: is out of range"), record_id
        good_order()
    for _, delivery, payload in REFUSED:
        assert send(anonymous, connection_id, delivery, payload).status_code == 202
        good_order()
    start_service(web=False, workers=1)
    wait_until(lambda: all_stored(client, connection_id, "orders", good), timeout=STORED_WITHIN_SECONDS, what="the good orders")

    for record_id, delivery, _, path, value in INTEGERS + TEXTS:
        entity = "products" if delivery is not ORDER else "orders"
        response = client.get(f"/api/connections/{connection_id}/{entity}/{record_id}")
        assert response.status_code == 200, record_id
        assert shown(response.json, path) == value, (record_id, path)
    failed = wait_until(lambda: refused_alone(redis_client, connection_id), timeout=STORED_WITHIN_SECONDS, what="the refused events")
    for job in failed:
        assert "refused" in job.reason and "surrogates not allowed" in job.reason, job.reason
        assert "\ud800" not in job.reason and "Mug" not in job.reason  # the reason names no data
    status = client.get(f"/api/connections/{connection_id}/status").json
    assert sorted(job["job_id"] for job in status["jobs"]["failed"]) == sorted(job.job_id for job in failed)

    # The shard is not stuck: with the worker running, a poison event and then a good order.
    assert send(anonymous, connection_id, ORDER, order(803, line_items=line_item(name=UNENCODABLE))).status_code == 202
    good_order()
    wait_until(lambda: all_stored(client, connection_id, "orders", good), timeout=STORED_WITHIN_SECONDS, what="the last good order")


def all_stored(client, connection_id: str, entity: str, ids: list[str]) -> bool:
    return all(client.get(f"/api/connections/{connection_id}/{entity}/{record_id}").status_code == 200 for record_id in ids)


def refused_alone(redis_client, connection_id: str):
    """The failed jobs of the connection, once there is one for each refused event (and no other)."""
    failed = failed_jobs(redis_client, connection_id)
    found = sorted(int(job.description.split()[1]) for job in failed)
    return failed if found == [record_id for record_id, *_ in REFUSED] else None


def test_a_poll_page_stores_the_rest_and_reports_the_record_it_cannot(client, store, connect, run_jobs, redis_client):
    connection = connect()

    def thing(**changes) -> list[dict]:
        return [{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00", **changes}]

    address = {"first_name": LONG, "last_name": LONG, "company": LONG, "address_1": LONG, "city": LONG, "phone": LONG}
    good = [
        store.create_order(line_items=thing()),
        store.create_order(line_items=thing(quantity=3_000_000_000), customer_id=2**63 - 1),
        store.create_order(line_items=thing(name=LONG), billing=address, shipping=address, payment_method=LONG, currency=LONG),
    ]
    bad = store.create_order(line_items=thing(name=UNENCODABLE))
    good.append(store.create_order(line_items=thing(name="Mug\x00")))
    too_many = store.create_order(line_items=thing(quantity=2**63))  # past what the mapper takes
    run = client.post(f"/api/connections/{connection['id']}/sync", json={"entity": "orders"}).json
    run_jobs()  # the poll, then the job that reports the refused record

    result = client.get(f"/api/connections/{connection['id']}/sync-runs/{run['run_id']}").json
    assert (result["status"], result["records"]) == ("succeeded", len(good))
    stored = {order["id"]: client.get(f"/api/connections/{connection['id']}/orders/{order['id']}").json for order in good}
    assert stored[good[1]["id"]]["line_items"][0]["quantity"] == 3_000_000_000
    assert stored[good[1]["id"]]["customer"]["external_id"] == str(2**63 - 1)
    assert stored[good[2]["id"]]["billing"]["city"] == LONG and stored[good[2]["id"]]["payment_method"] == LONG
    assert stored[good[3]["id"]]["line_items"][0]["name"] == "Mug\ufffd"
    for refused in (bad, too_many):
        assert client.get(f"/api/connections/{connection['id']}/orders/{refused['id']}").status_code == 404
    failed = {job.description: job.reason for job in failed_jobs(redis_client, connection["id"])}
    assert failed.keys() == {f"order.updated {order['id']} for {connection['id']}" for order in (bad, too_many)}
    assert failed[f"order.updated {bad['id']} for {connection['id']}"].endswith(
        f"order {bad['id']}: the database refused it: text it cannot encode (surrogates not allowed)"
    )
    assert failed[f"order.updated {too_many['id']} for {connection['id']}"].endswith(
        f"order {too_many['id']}: line_items[0].quantity: is out of range"
    )


def test_database_errors_name_no_values(environment):
    # They are logged, and a refusal's reason comes from them: a customer's data stays out.
    line_item = {"order_id": 10**9, "position": 0, "external_id": "1", "name": "buyer@example.com"}  # no such order
    with pytest.raises(IntegrityError) as raised, transaction(environment["DATABASE_URL"]) as session:
        session.execute(insert(OrderLineItem), line_item)
    assert "buyer@example.com" not in str(raised.value)
    assert "buyer@example.com" not in refusal_reason(raised.value)
