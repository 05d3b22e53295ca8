"""Turn webhook deliveries into stored orders and products.

Deliveries arrive through the event buffer (`jobs.buffer`) and are stored by `drain_events`,
hundreds per transaction; `ingest_event` stores one, for events that need a job of their own.
"""

import logging
from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import bindparam, select, update

from config import get_settings
from db.models import Connection, Order, Product, Webhook
from db.records import Outcome, mark_deleted, upsert_many
from jobs.buffer import Event, EventBuffer, parse
from jobs.context import PermanentJobError, job_transaction
from jobs.queues import (
    EVENTS_QUEUE,
    RESULT_TTL_SECONDS,
    enqueue_drain,
    enqueue_event,
    queue,
    redis_connection,
    schedule_parent_refreshes,
)
from stores.woocommerce.mapping import MappingError, deleted_id, map_order, map_product
from stores.woocommerce.money import PRICE_DECIMALS_FACT, price_decimals, with_store_decimals

log = logging.getLogger(__name__)

RESOURCES = {"order": Order, "product": Product}
EVENTS = frozenset({"created", "updated", "deleted", "restored"})
TRASH_STATUS = "trash"
REJECT_ENVELOPE = "jobs.events.reject_envelope"


def ingest_event(connection_id: str, resource: str, event: str, payload: dict, received_at: str) -> str:
    """Apply one `resource.event` delivery (`order.updated`, ...) for a connection; answer the outcome."""
    if resource not in RESOURCES or event not in EVENTS:
        raise PermanentJobError(f"unsupported topic {resource}.{event}")
    with job_transaction() as session:
        connection = session.scalar(select(Connection).where(Connection.public_id == connection_id))
        if connection is None or connection.deleted_at is not None:
            log.info("event %s.%s for removed connection %s dropped", resource, event, connection_id)
            return "connection removed"
        outcome = apply_event(session, connection, resource, event, payload)
        session.execute(
            update(Webhook)
            .where(Webhook.connection_id == connection.id, Webhook.topic == f"{resource}.{event}")
            .values(last_delivery_at=datetime.fromisoformat(received_at))
        )
    log.info("event %s.%s for connection %s: %s", resource, event, connection_id, outcome)
    return outcome.value


def apply_event(session, connection: Connection, resource: str, event: str, payload: dict) -> Outcome:
    """Write what one event says to the database, inside the caller's transaction."""
    if event == "deleted":
        return mark_deleted(session, RESOURCES[resource], connection.id, deleted_id(payload))
    outcomes, rejected = store_records(session, connection, resource, [(payload, None)], undelete=event == "restored")
    if rejected:
        raise rejected[0][1]
    return next(iter(outcomes.values()), Outcome.SKIPPED)  # none: created before the order start


def store_records(
    session, connection: Connection, resource: str, items: list[tuple[dict, str | None]], *, undelete: bool = False
) -> tuple[dict[str, Outcome], list[tuple[dict, MappingError]]]:
    """Map and upsert many orders or products of one connection (with their parent, for variations) in one go.

    Answers each stored id's outcome, and the payloads the mapper refused with why; orders
    created before the connection's order start are left out.
    """
    records, rejected = map_records(connection, resource, items)
    outcomes = upsert_many(session, RESOURCES[resource], records, undelete=undelete)
    return {external_id: outcome for (_, external_id), outcome in outcomes.items()}, rejected


def map_records(
    connection: Connection, resource: str, items: list[tuple[dict, str | None]]
) -> tuple[list[dict], list[tuple[dict, MappingError]]]:
    """The records to upsert for a connection's payloads, and the payloads the mapper refused with why.

    Orders created before the connection's order start are left out; orders take the
    connection's warehouse; amounts take the store's number of decimals once it is known.
    """
    records, rejected = [], []
    decimals = price_decimals((connection.store or {}).get(PRICE_DECIMALS_FACT))
    for payload, parent in items:
        try:
            record = map_order(payload) if resource == "order" else map_product(payload, parent_external_id=parent)
        except MappingError as error:
            rejected.append((payload, error))
            continue
        if decimals is not None:
            with_store_decimals(resource, record, decimals)
        if resource == "order":
            if record["created_at"] is not None and record["created_at"] < connection.order_start:
                continue
            record["warehouse"] = connection.warehouse
        record["deleted"] = record["status"] == TRASH_STATUS
        record["connection_id"] = connection.id
        records.append(record)
    return records, rejected


def drain_events(shard: int) -> dict:
    """Store the buffered events of one shard, batch by batch, until it is empty."""
    settings = get_settings()
    redis = redis_connection(settings.redis_url)
    buffer = EventBuffer(redis)
    token = buffer.lock(shard)
    if token is None:
        return {"skipped": "another job is draining this shard"}
    batches = events = 0
    try:
        while batch := buffer.claim(shard):
            store_batch(batch, redis, settings.event_retry_seconds)
            buffer.done(shard)
            batches, events = batches + 1, events + len(batch)
            log.info("shard %d: batch of %d events stored", shard, len(batch))
            if not buffer.refresh(shard, token):
                log.warning("shard %d: drain lock lost; another job carries on", shard)
                break
    finally:
        buffer.unlock(shard, token)
    # Cleared before looking again: a delivery after this point queues a new drain itself.
    buffer.clear_drain_queued(shard)
    if buffer.waiting(shard) and buffer.mark_drain_queued(shard):
        enqueue_drain(redis, shard, retry_seconds=settings.event_retry_seconds)
    return {"batches": batches, "events": events}


def store_batch(raw_events: list[bytes], redis, retry_seconds: tuple[int, ...]) -> int:
    """Apply a batch in one transaction, each record's versions collapsed to what matters."""
    events, rejected = [], []
    for raw in raw_events:
        try:
            events.append(parse(raw))
        except (ValueError, KeyError, TypeError, RecursionError):  # nested deeper than the parser goes
            rejected.append(raw)
    poisoned: list[Event] = []
    parents: set[tuple[str, str]] = set()  # (connection, parent product) of variations stored
    with job_transaction() as session:
        ids = {event.connection_id for event in events}
        connections = {
            connection.public_id: connection
            for connection in session.scalars(select(Connection).where(Connection.public_id.in_(ids)))
            if connection.deleted_at is None
        }
        for round_events in _rounds(collapse(events)):
            poisoned += _apply_round(session, connections, round_events, parents)
        _record_last_deliveries(session, connections, events)
    # WooCommerce sends no webhook for a variation's parent, whose price range and stock changed with it.
    schedule_parent_refreshes(redis, parents, retry_seconds=retry_seconds)
    # Each bad event becomes its own job, which fails and lands in RQ's failed registry with
    # the reason, where an operator sees it; the rest of the batch is stored.
    for event in poisoned:
        enqueue_event(redis, event.connection_id, event.resource, event.event, event.payload, event.received_at, retry_seconds=retry_seconds)
    for raw in rejected:
        queue(EVENTS_QUEUE, redis).enqueue(REJECT_ENVELOPE, raw.decode("utf-8", "replace"), result_ttl=RESULT_TTL_SECONDS)
    return len(events)


def _rounds(events: list[Event]) -> list[list[Event]]:
    """Split collapsed events into rounds: a record's first event in round 1, its second in round 2..."""
    rounds: list[list[Event]] = []
    depth: Counter = Counter()
    for event in events:
        key = (event.connection_id, event.resource, str(event.payload.get("id")))
        if depth[key] == len(rounds):
            rounds.append([])
        rounds[depth[key]].append(event)
        depth[key] += 1
    return rounds


def _apply_round(session, connections: dict[str, Connection], events: list[Event], parents: set[tuple[str, str]]) -> list[Event]:
    """Apply events of different records together, whatever their connection; answer those the mapper refused.

    Adds to `parents` the (connection, parent product) of each variation created or updated.
    """
    groups: dict[tuple[str, bool], list[dict]] = defaultdict(list)
    poisoned = []
    for event in events:
        connection = connections.get(event.connection_id)
        if connection is None:
            continue  # removed since: its events go with it
        if event.event == "deleted":
            mark_deleted(session, RESOURCES[event.resource], connection.id, deleted_id(event.payload))
            continue
        records, rejected = map_records(connection, event.resource, [(event.payload, None)])
        if rejected:
            poisoned.append(event)
        groups[(event.resource, event.event == "restored")] += records
    public_ids = {connection.id: connection.public_id for connection in connections.values()}
    for (resource, undelete), records in groups.items():
        outcomes = upsert_many(session, RESOURCES[resource], records, undelete=undelete)
        parents.update(
            (public_ids[record["connection_id"]], record["parent_external_id"])
            for record in records
            if record.get("parent_external_id")
            and outcomes[(record["connection_id"], record["external_id"])] in (Outcome.CREATED, Outcome.UPDATED)
        )
    return poisoned


def collapse(events: list[Event]) -> list[Event]:
    """Per record, keep arrival order but merge runs of full versions into the newest of them.

    Deletions (`{"id": N}`, no time) stay where they arrived, between the runs they separate;
    a run that contains a restore keeps the restore (it undoes an earlier deletion).
    """
    runs: dict[tuple[str, str, str], list[Event]] = {}
    order: list[tuple[tuple[str, str, str], int]] = []
    for event in events:
        key = (event.connection_id, event.resource, str(event.payload.get("id")))
        ops = runs.setdefault(key, [])
        last = ops[-1] if ops else None
        if event.event != "deleted" and last is not None and last.event != "deleted":
            newest = max((last, event), key=lambda item: str(item.payload.get("date_modified_gmt") or ""))
            restored = "restored" if "restored" in (last.event, event.event) else newest.event
            ops[-1] = Event(newest.connection_id, newest.resource, restored, max(last.received_at, event.received_at), newest.payload)
            continue
        ops.append(event)
        order.append((key, len(ops) - 1))
    return [runs[key][index] for key, index in order]


def _record_last_deliveries(session, connections: dict, events: list[Event]) -> None:
    latest: dict[tuple[int, str], str] = {}
    for event in events:
        connection = connections.get(event.connection_id)
        if connection is not None:
            key = (connection.id, f"{event.resource}.{event.event}")
            latest[key] = max(latest.get(key, ""), event.received_at)
    if not latest:
        return
    # One statement for the batch, run for each (connection, topic): a batch spans hundreds of connections.
    table = Webhook.__table__
    session.execute(
        update(table)
        .where(table.c.connection_id == bindparam("connection_pk"), table.c.topic == bindparam("webhook_topic"))
        .values(last_delivery_at=bindparam("received_at")),
        [
            {"connection_pk": connection_pk, "webhook_topic": topic, "received_at": datetime.fromisoformat(received_at)}
            for (connection_pk, topic), received_at in latest.items()
        ],
    )


def reject_envelope(raw: str, reason: str = "the buffered event is not a valid envelope") -> None:
    """Fail on purpose, so an unreadable buffered event is kept in the failed registry."""
    raise PermanentJobError(f"{reason}: {raw[:200]}")
