"""The event buffer: batches, collapsing versions, crash recovery, and bad events kept visible."""

import json
import threading
import time

from rq.registry import FailedJobRegistry
from sqlalchemy import select

import config
from db.models import Order
from db.session import transaction
from jobs import buffer as buffer_module
from jobs import events as events_module
from jobs import push as push_module
from jobs.batching import collapse as collapse_events
from jobs.buffer import DRAIN_LOCK_KEY, Event, EventBuffer, envelope, shard_of
from jobs.events import drain_events
from jobs.queues import EVENTS_QUEUE
from stores.registry import connector_for
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.guarantees import stored_orders, write_lock
from tests.services import wait_until
from tests.test_event_jobs import deliver


def event(kind: str, order_id: int, modified: str | None = None, arrived: str = "2026-11-27T10:00:00") -> Event:
    payload = {"id": order_id} if modified is None else {"id": order_id, "date_modified_gmt": modified}
    return Event("c", "order", kind, arrived, payload)


def collapse(events: list[Event]) -> list[Event]:
    """Collapsed as the drain does for a WooCommerce connection."""
    return collapse_events(events, lambda item: connector_for("woocommerce").deliveries.change_time(item.payload))


def test_collapse_keeps_the_newest_of_a_run_whatever_the_arrival_order():
    events = [event("updated", 1, "2026-11-27T10:00:02"), event("updated", 1, "2026-11-27T10:00:01"), event("updated", 2, "2026-11-27T10:00:05")]
    assert [(e.payload["id"], e.payload["date_modified_gmt"]) for e in collapse(events)] == [
        (1, "2026-11-27T10:00:02"),
        (2, "2026-11-27T10:00:05"),
    ]


def test_collapse_keeps_deletions_between_the_versions_they_separate():
    events = [
        event("updated", 1, "2026-11-27T10:00:01"),
        event("deleted", 1),
        event("restored", 1, "2026-11-27T10:00:03"),
        event("updated", 1, "2026-11-27T10:00:02"),
    ]
    assert [(e.event, e.payload.get("date_modified_gmt")) for e in collapse(events)] == [
        ("updated", "2026-11-27T10:00:01"),
        ("deleted", None),
        ("restored", "2026-11-27T10:00:03"),
    ]


def test_envelopes_embed_the_body_as_sent():
    body = load_delivery("09").body
    parsed = json.loads(envelope("abc", "product", "created", "2026-11-27T10:00:00+00:00", body.decode()))
    assert parsed["p"] == json.loads(body)
    assert (parsed["c"], parsed["r"], parsed["e"]) == ("abc", "product", "created")


def test_a_batch_left_by_a_crashed_drain_is_stored_by_the_next(app, anonymous, client, redis_client, run_jobs):
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    buffer = EventBuffer(redis_client)
    shard = shard_of(connection_id)
    assert len(buffer.claim(shard)) == 1  # claimed, then the job died before storing it
    assert buffer.claim(shard) != []  # still held: the next claim answers it again
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").json["status"] == "completed"
    assert buffer.waiting(shard) == 0


def test_a_drain_blocked_longer_than_its_lock_ttl_keeps_its_shard(app, anonymous, database_url, redis_client, monkeypatch):
    monkeypatch.setattr(buffer_module, "DRAIN_LOCK_TTL_SECONDS", 1)
    monkeypatch.setattr(events_module, "DRAIN_LOCK_RENEW_SECONDS", 0.2)
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    buffer, shard = EventBuffer(redis_client), shard_of(connection_id)
    with write_lock(database_url):
        drain = threading.Thread(target=drain_events, args=(shard,))
        drain.start()
        wait_until(lambda: redis_client.exists(DRAIN_LOCK_KEY.format(shard=shard)), what="the drain lock taken")
        time.sleep(2.5)  # over twice the lock's TTL, the batch's write still waiting
        assert buffer.lock(shard) is None  # renewed: no second drain takes the shard
    drain.join(timeout=30)
    assert list(stored_orders(database_url)) == ["93"]
    assert buffer.waiting(shard) == 0


def test_a_drain_whose_lock_lapsed_cannot_drop_the_batch_its_successor_holds(app, anonymous, redis_client):
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    buffer, shard = EventBuffer(redis_client), shard_of(connection_id)
    first = buffer.lock(shard)
    batch = buffer.claim(shard)
    redis_client.delete(DRAIN_LOCK_KEY.format(shard=shard))  # it lapsed while the first job was storing
    second = buffer.lock(shard)
    assert buffer.claim(shard) == batch  # the successor takes up the same batch
    assert not buffer.done(shard, first, batch)  # and the first job, finishing late, leaves it alone
    assert buffer.waiting(shard) == 1
    assert buffer.done(shard, second, batch)
    assert buffer.waiting(shard) == 0


def test_a_bad_event_in_a_batch_fails_alone_and_the_rest_is_stored(app, anonymous, client, redis_client, run_jobs):
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    # Bypass the receiver's validation, as a buffer written by an older release might.
    bad = json.dumps({"id": 5, "date_modified_gmt": "soon"})
    EventBuffer(redis_client).push_unchecked(connection_id, envelope(connection_id, "order", "updated", "2026-11-27T10:00:00+00:00", bad))
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").status_code == 200
    failed = FailedJobRegistry(EVENTS_QUEUE, connection=redis_client)
    assert failed.count == 1
    job = failed.get_job_ids()[0]
    from rq.job import Job

    from jobs.queues import SERIALIZER

    assert "date_modified_gmt" in Job.fetch(job, connection=redis_client, serializer=SERIALIZER).latest_result().exc_string


def test_a_lost_drain_job_is_queued_again_by_the_clock(app, anonymous, client, redis_client, run_jobs):
    from jobs import clock

    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    redis_client.delete(*redis_client.keys("rq:*"))  # the drain job is gone
    redis_client.delete(*redis_client.keys("storelink:events:*:drain-queued"))  # and its mark expired
    clock.tick()
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").json["status"] == "completed"


def test_a_delivery_replayed_after_the_dedup_window_is_buffered_again_and_changes_nothing(
    app, anonymous, client, redis_client, run_jobs, monkeypatch
):
    monkeypatch.setattr(push_module, "DEDUP_TTL_SECONDS", 1)
    connection_id = make_connection()
    assert deliver(anonymous, connection_id, "04").json["status"] == "queued"
    assert deliver(anonymous, connection_id, "04").json["status"] == "duplicate"
    run_jobs()

    def stored_at() -> list:
        with transaction(config.get_settings().database_url) as session:
            return list(session.scalars(select(Order.stored_at).where(Order.external_id == "93")))

    before = stored_at()
    time.sleep(1.5)  # the window passes: Redis forgets the delivery
    assert deliver(anonymous, connection_id, "04").json["status"] == "queued"
    run_jobs()
    assert stored_at() == before  # one row, not written again


def test_an_envelope_nested_deeper_than_the_parser_goes_fails_alone(app, anonymous, client, redis_client, run_jobs):
    connection_id = make_connection()
    deliver(anonymous, connection_id, "04")
    # The receiver's quick check reads about 1,000 levels deep; the drain's parser, deep in a worker's stack, fewer.
    deep = json.dumps({"id": 5, "date_modified_gmt": "2026-11-27T10:00:00", "meta": "@"}).replace('"@"', "[" * 1010 + "]" * 1010)
    EventBuffer(redis_client).push_unchecked(connection_id, envelope(connection_id, "order", "updated", "2026-11-27T10:00:00+00:00", deep))
    run_jobs()
    assert client.get(f"/api/connections/{connection_id}/orders/93").status_code == 200
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).count == 1
