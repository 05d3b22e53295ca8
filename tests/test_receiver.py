"""The webhook receiver, fed the real deliveries captured from a WooCommerce 9.9.5 store."""

import io
import json

import pytest
from rq.registry import FailedJobRegistry

from jobs.buffer import SHARDS, EventBuffer
from jobs.queues import EVENTS_QUEUE, queue
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import delivery_names, load_delivery

SIGNED_DELIVERIES = [name for name in delivery_names() if not name.startswith(("01_", "10_"))]


def post_delivery(client, connection_id, delivery, *, body=None, headers=None):
    """Send a captured delivery (its headers and raw bytes) to the receiver."""
    sent_headers = {k: v for k, v in delivery.headers.items() if k not in ("Host", "Content-Length", "Connection")}
    sent_headers.update(headers or {})
    return client.post(f"/webhooks/woocommerce/{connection_id}", data=delivery.body if body is None else body, headers=sent_headers)


def queued(redis_client) -> int:
    """Events waiting in the buffer."""
    buffer = EventBuffer(redis_client)
    return sum(buffer.waiting(shard) for shard in range(SHARDS))


@pytest.fixture
def connection_id(app):
    return make_connection()


def test_ping_is_answered_exactly_200_without_side_effects(anonymous, connection_id, redis_client):
    ping = load_delivery("01")
    response = post_delivery(anonymous, connection_id, ping)
    assert response.status_code == 200
    assert queued(redis_client) == 0


@pytest.mark.parametrize("name", SIGNED_DELIVERIES)
def test_every_real_delivery_is_accepted_and_queued(anonymous, connection_id, redis_client, name):
    response = post_delivery(anonymous, connection_id, load_delivery(name))
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued"
    assert queued(redis_client) == 1


def test_tampered_delivery_is_refused(anonymous, connection_id, redis_client):
    response = post_delivery(anonymous, connection_id, load_delivery("10"))
    assert response.status_code == 401
    assert response.json["error"] == {"code": "invalid_signature", "message": "signature does not match the body"}
    assert queued(redis_client) == 0


def test_missing_signature_is_refused(anonymous, connection_id, redis_client):
    delivery = load_delivery("02")
    headers = {k: v for k, v in delivery.headers.items() if k != "X-WC-Webhook-Signature"}
    response = anonymous.post(f"/webhooks/woocommerce/{connection_id}", data=delivery.body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["message"] == "missing signature header"
    assert queued(redis_client) == 0


def test_signature_of_another_connection_is_refused(anonymous, app, redis_client):
    other = make_connection(secret="cs_another_connections_secret_0000000000")
    response = post_delivery(anonymous, other, load_delivery("02"))
    assert response.status_code == 401
    assert queued(redis_client) == 0


def test_unknown_connection_is_404(anonymous, app):
    response = post_delivery(anonymous, "no-such-connection", load_delivery("02"))
    assert response.status_code == 404


def test_deleted_connection_is_410_so_the_store_disables_the_webhook(anonymous, app):
    gone = make_connection(deleted=True)
    response = post_delivery(anonymous, gone, load_delivery("02"))
    assert response.status_code == 410


def test_body_over_the_limit_is_413(anonymous, connection_id, app):
    body = b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1) + b"}"
    delivery = load_delivery("02")
    response = post_delivery(anonymous, connection_id, delivery, body=body)
    assert response.status_code == 413


def test_signed_body_that_is_not_json_is_400(anonymous, connection_id, redis_client):
    delivery = load_delivery("02")
    body = b"not json at all"
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"
    assert queued(redis_client) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "pending"}, "id"),
        ({"id": "ninety-three", "date_modified_gmt": "2026-11-27T10:27:37"}, "id"),
        ({"id": 93, "date_modified_gmt": "2026-11-27T10:27:37", "total": "lots"}, "total"),
        ({"id": 93, "date_modified_gmt": "yesterday"}, "date_modified_gmt"),
        ([1, 2, 3], "payload"),
    ],
)
def test_signed_json_of_the_wrong_shape_is_400_naming_the_field(anonymous, connection_id, redis_client, payload, field):
    delivery = load_delivery("02")
    body = json.dumps(payload).encode()
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_payload"
    assert response.json["error"]["message"].startswith(field)
    assert queued(redis_client) == 0


def test_unknown_topic_is_400_and_not_queued(anonymous, connection_id, redis_client):
    response = post_delivery(anonymous, connection_id, load_delivery("02"), headers={"X-WC-Webhook-Topic": "coupon.created"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unsupported_topic"
    assert queued(redis_client) == 0


def test_created_and_updated_with_identical_bodies_are_queued_once(anonymous, connection_id, redis_client):
    first = post_delivery(anonymous, connection_id, load_delivery("02"))
    second = post_delivery(anonymous, connection_id, load_delivery("03"))
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json["status"] == "duplicate"
    assert queued(redis_client) == 1


def test_same_second_deliveries_with_different_bodies_are_both_queued(anonymous, connection_id, redis_client):
    # 02 and 04 are different versions of order 93; the delivery id header alone would not tell them apart.
    post_delivery(anonymous, connection_id, load_delivery("02"), headers={"X-WC-Webhook-Delivery-ID": "same"})
    post_delivery(anonymous, connection_id, load_delivery("04"), headers={"X-WC-Webhook-Delivery-ID": "same"})
    assert queued(redis_client) == 2


def test_every_trash_of_a_record_is_queued_whatever_its_unsigned_delivery_id(anonymous, connection_id, redis_client):
    # `{"id": N}` is the same body for every trashing of a record, and the delivery id that
    # would tell two apart is not signed: none is dropped (each only asks the store).
    trash = load_delivery("05")
    post_delivery(anonymous, connection_id, trash, headers={"X-WC-Webhook-Delivery-ID": "second-1"})
    post_delivery(anonymous, connection_id, trash, headers={"X-WC-Webhook-Delivery-ID": "second-1"})
    post_delivery(anonymous, connection_id, trash, headers={"X-WC-Webhook-Delivery-ID": "second-2"})
    assert queued(redis_client) == 3


def test_a_full_record_is_deduplicated_by_its_body_not_by_its_delivery_id(anonymous, connection_id, redis_client):
    order = load_delivery("02")
    for delivery_id in ("a", "b", "c"):
        assert post_delivery(anonymous, connection_id, order, headers={"X-WC-Webhook-Delivery-ID": delivery_id}).status_code == 202
    assert queued(redis_client) == 1


def test_receiver_never_redirects_a_trailing_slash(anonymous, connection_id):
    response = post_delivery(anonymous, connection_id + "/", load_delivery("02"))
    assert response.status_code == 202


def test_nothing_in_redis_holds_a_secret(anonymous, connection_id, redis_client):
    delivery = load_delivery("02")
    post_delivery(anonymous, connection_id, delivery)
    values = []
    for key in redis_client.keys("*"):
        kind = redis_client.type(key)
        if kind == b"hash":
            values += redis_client.hgetall(key).values()
        elif kind == b"list":
            values += redis_client.lrange(key, 0, -1)
    assert values  # the buffered event and the drain job
    assert not any(delivery.secret.encode() in value for value in values)


def test_the_first_delivery_of_a_burst_queues_one_drain_job(anonymous, connection_id, redis_client):
    for name in ("02", "04", "06", "07"):
        post_delivery(anonymous, connection_id, load_delivery(name))
    assert queued(redis_client) == 4
    assert queue(EVENTS_QUEUE, redis_client).count == 1


def test_failed_registry_is_empty_after_accepting(anonymous, connection_id, redis_client):
    post_delivery(anonymous, connection_id, load_delivery("02"))
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).count == 0


def test_a_connection_is_read_once_per_cache_period_and_deletion_shows_after_it(anonymous, app, connection_id, monkeypatch, environment):
    import webhooks.known_connections as known
    from db.models import Connection
    from db.session import transaction
    from db.types import utcnow

    post_delivery(anonymous, connection_id, load_delivery("02"))
    lookups = []
    monkeypatch.setattr(known, "_lookup", lambda url, cid, real=known._lookup: lookups.append(cid) or real(url, cid))
    with transaction(environment["DATABASE_URL"]) as session:
        session.query(Connection).filter_by(public_id=connection_id).one().deleted_at = utcnow()
    assert post_delivery(anonymous, connection_id, load_delivery("04")).status_code == 202  # still cached
    assert lookups == []
    clock = known.time.monotonic() + known.CONNECTION_CACHE_SECONDS + 1
    monkeypatch.setattr(known.time, "monotonic", lambda: clock)
    assert post_delivery(anonymous, connection_id, load_delivery("06")).status_code == 410
    assert lookups == [connection_id]


def test_a_flood_to_an_unknown_id_reaches_the_database_once_per_cache_period(anonymous, app, monkeypatch, environment):
    import secrets

    from sqlalchemy import event

    import webhooks.known_connections as known
    from db.session import get_engine

    statements = []
    engine = get_engine(environment["DATABASE_URL"])
    count = lambda *_args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        unknown = secrets.token_urlsafe(16)
        assert post_delivery(anonymous, unknown, load_delivery("02")).status_code == 404
        per_lookup = len(statements)  # SQLite: BEGIN and SELECT; PostgreSQL: SELECT
        assert per_lookup > 0
        assert {post_delivery(anonymous, unknown, load_delivery("02")).status_code for _ in range(20)} == {404}
        assert len(statements) == per_lookup
        clock = known.time.monotonic() + known.UNKNOWN_ID_SECONDS + 1
        monkeypatch.setattr(known.time, "monotonic", lambda: clock)
        assert post_delivery(anonymous, unknown, load_delivery("02")).status_code == 404
        assert len(statements) == 2 * per_lookup  # remembered briefly, then asked again
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_unknown_ids_are_bounded_oldest_forgotten_first():
    from webhooks.known_connections import UnknownIds

    unknown = UnknownIds(seconds=60, limit=3)
    for connection_id in "abcd":
        unknown.add(connection_id)
    assert [connection_id in unknown for connection_id in "abcd"] == [False, True, True, True]


@pytest.mark.parametrize("size, status", [(0, 202), (1, 413)])
def test_a_chunked_body_is_read_up_to_the_limit(anonymous, connection_id, app, redis_client, size, status):
    # No Content-Length (a proxy may re-chunk): the receiver reads one byte past the limit at most.
    delivery = load_delivery("02")
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = delivery.body + b" " * (limit - len(delivery.body) + size)
    headers = {k: v for k, v in delivery.headers.items() if k not in ("Host", "Content-Length", "Connection")}
    headers["X-WC-Webhook-Signature"] = sign(body, delivery.secret)
    response = anonymous.post(
        f"/webhooks/woocommerce/{connection_id}", input_stream=io.BytesIO(body), headers=headers,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == status
    assert queued(redis_client) == (1 if status == 202 else 0)


def test_other_methods_are_405_in_the_json_error_shape(anonymous, connection_id):
    response = anonymous.get(f"/webhooks/woocommerce/{connection_id}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json["error"]["code"] == "method_not_allowed"


def test_a_crash_is_a_500_that_tells_nothing_and_is_logged(anonymous, connection_id, monkeypatch, caplog):
    from stores.woocommerce import deliveries

    def crash(_payload):
        raise RuntimeError("internal detail")

    monkeypatch.setitem(deliveries.MAPPERS, "order", (crash, lambda _body: False))
    response = post_delivery(anonymous, connection_id, load_delivery("02"))
    assert response.status_code == 500
    assert response.json == {"error": {"code": "internal_error", "message": "an internal error occurred; it has been logged"}}
    assert "internal detail" in caplog.text


def test_other_paths_go_to_the_app(anonymous):
    assert anonymous.post("/webhooks/woocommerce").status_code == 404
    assert anonymous.post("/webhooks/woocommerce/a/b").status_code == 404


@pytest.mark.parametrize(
    "replace, message",
    [
        (('"id":', '"id":1180591620717411303424,"_":'), "id: is out of range"),  # 2**70: past 64 bits, beyond the quick check's types
        (('"total":', '"total":NaN,"_":'), "total: must be a decimal amount"),  # not JSON, yet Python reads it
    ],
)
def test_what_only_the_standard_parser_reads_is_answered_naming_the_field(anonymous, connection_id, redis_client, replace, message):
    delivery = load_delivery("02")
    body = delivery.body.replace(replace[0].encode(), replace[1].encode(), 1)
    assert body != delivery.body
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 400
    assert response.json["error"] == {"code": "invalid_payload", "message": message}
    assert queued(redis_client) == 0


def test_a_valid_body_the_quick_check_leaves_to_the_mapper_is_accepted(anonymous, connection_id, redis_client):
    from stores.woocommerce.quickcheck import order_maps

    delivery = load_delivery("02")
    body = delivery.body.replace(b'"date_modified_gmt":"2026-11-27T10:27:37"', b'"date_modified_gmt":"2024-02-29T10:27:37"', 1)
    assert body != delivery.body and not order_maps(body)  # a leap day: the mapper decides
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert (response.status_code, response.json) == (202, {"status": "queued"})
    assert queued(redis_client) == 1


def test_json_nested_past_any_parser_limit_is_400(anonymous, connection_id, redis_client):
    delivery = load_delivery("02")
    body = b"[" * 100_000 + b"]" * 100_000
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_while_redis_is_away_the_spool_keeps_the_payload_exactly_as_sent(anonymous, connection_id, app, monkeypatch, environment):
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy import select

    from db.models import SpooledDelivery
    from db.session import transaction
    from webhooks.receiver import EXTENSION

    class Away:
        def push(self, *_args):
            raise RedisConnectionError("Redis is away")

    monkeypatch.setattr(app.extensions[EXTENSION], "_handoff", Away())
    delivery = load_delivery("02")
    huge = 2**64 + 1  # past 64 bits: the quick check leaves it to the mapper, and the spool keeps it exact
    body = delivery.body.replace(b'"total":"', f'"total":{huge},"_":"'.encode(), 1)
    response = post_delivery(anonymous, connection_id, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)})
    assert (response.status_code, response.json) == (202, {"status": "spooled"})
    with transaction(environment["DATABASE_URL"]) as session:
        (payload,) = session.scalars(select(SpooledDelivery.payload)).all()
    assert payload["total"] == huge
