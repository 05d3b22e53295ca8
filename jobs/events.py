"""Turn webhook deliveries into stored orders and products.

Deliveries arrive through the event buffer (`jobs.buffer`) and are stored by `drain_events`,
hundreds per transaction; `ingest_event` stores one, for events that need a job of their own.
"""

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import bindparam, select, update

from config import get_settings
from db.models import Connection, Order, Product, Webhook
from db.records import Outcome, upsert_many
from db.refusals import store_apart
from jobs.batching import collapse, rounds
from jobs.buffer import DRAIN_LOCK_RENEW_SECONDS, Event, EventBuffer, parse
from jobs.context import PermanentJobError, job_transaction
from jobs.queues import (
    EVENTS_QUEUE,
    PARENT_REFRESH_DELAY_SECONDS,
    RESULT_TTL_SECONDS,
    enqueue_drain,
    enqueue_event,
    enqueue_refresh,
    queue,
    redis_for,
)
from jobs.renewal import Renewal
from stores.connector import APP
from stores.errors import MappingError
from stores.registry import connector_for

log = logging.getLogger(__name__)

RESOURCES = {"order": Order, "product": Product}
EVENTS = frozenset({"created", "updated", "deleted", "restored"})
REJECT_ENVELOPE = "jobs.events.reject_envelope"
# Why a connection whose store uninstalled Storelink's app stops polling (the `app` resource, deleted).
APP_UNINSTALLED = "the store uninstalled Storelink's app: install it again (or connect new credentials)"
# An item (payload, parent) the mapper or the database refused, and why.
Refused = tuple[tuple[dict, str | None], str]
# A record whose fate only the store can tell (a deletion, a restore): connection id, resource, id.
Hint = tuple[str, str, str]


def ingest_event(connection_id: str, resource: str, event: str, payload: dict, received_at: str | None) -> str:
    """Apply one `resource.event` delivery (`order.updated`, ...) for a connection; answer the outcome.

    `received_at` is None for a record a poll found (no webhook delivered it).
    """
    if (resource not in RESOURCES and resource != APP) or event not in EVENTS:
        raise PermanentJobError(f"unsupported topic {resource}.{event}")
    hints: list[Hint] = []
    with job_transaction() as session:
        connection = session.scalar(select(Connection).where(Connection.public_id == connection_id))
        if connection is None or connection.deleted_at is not None:
            log.info("event %s.%s for removed connection %s dropped", resource, event, connection_id)
            return "connection removed"
        outcome = apply_event(session, connection, resource, event, payload, hints)
        if received_at is not None:
            session.execute(
                update(Webhook)
                .where(Webhook.connection_id == connection.id, Webhook.topic == f"{resource}.{event}")
                .values(last_delivery_at=datetime.fromisoformat(received_at))
            )
    ask_the_store(redis_for(get_settings()), hints)
    log.info("event %s.%s for connection %s: %s", resource, event, connection_id, outcome)
    return outcome.value


def apply_event(session, connection: Connection, resource: str, event: str, payload: dict, hints: list[Hint]) -> Outcome:
    """Write what one event says to the database, inside the caller's transaction; add to `hints` what the store must decide."""
    if resource == APP:
        connection.needs_attention = APP_UNINSTALLED
        return Outcome.UPDATED
    if event == "deleted":
        hints.append((connection.public_id, resource, connector_for(connection.external_system).deleted_id(resource, payload)))
        return Outcome.ASKED
    outcomes, refused = store_records(session, connection, resource, connector_for(connection.external_system).delivered_items(resource, payload))
    if refused:
        raise PermanentJobError(f"{resource} {payload.get('id')}: {refused[0][1]}")
    outcome = next(iter(outcomes.values()), Outcome.SKIPPED)  # none: created before the order start
    if event == "restored" and outcome is Outcome.STALE:
        hints.append((connection.public_id, resource, connector_for(connection.external_system).deleted_id(resource, payload)))
        return Outcome.ASKED
    return outcome


def store_records(
    session, connection: Connection, resource: str, items: list[tuple[dict, str | None]], *, confirmed: bool = False
) -> tuple[dict[str, Outcome], list[Refused]]:
    """Map and upsert many orders or products of one connection (with their parent, for variations) in one go.

    Answers each stored id's outcome, and the items (payload, parent) the mapper or the database
    refused, with why; the others are stored all the same. Orders created before the
    connection's order start are left out. `confirmed`: the payloads were read from the store
    just now (`db.records.upsert_many`).
    """

    def store(part: list[tuple[dict, str | None]]) -> tuple[dict, list]:
        records, rejected = map_records(connection, resource, part)
        return upsert_many(session, RESOURCES[resource], records, confirmed=confirmed), rejected

    stored, refused = store_apart(session, items, store)
    outcomes = {external_id: outcome for part, _ in stored for (_, external_id), outcome in part.items()}
    rejected = [(item, str(error)) for _, part in stored for item, error in part]
    return outcomes, rejected + [(item, f"the database refused it: {reason}") for item, reason in refused]


def map_records(
    connection: Connection, resource: str, items: list[tuple[dict, str | None]]
) -> tuple[list[dict], list[tuple[tuple[dict, str | None], MappingError]]]:
    """The records to upsert for a connection's items (payload, parent), and the items the mapper refused with why.

    The connection's connector maps them (with the store's facts, such as its number of
    decimals). Orders created before the connection's order start are left out; orders take
    the connection's warehouse.
    """
    records, rejected = [], []
    connector = connector_for(connection.external_system)
    for payload, parent in items:
        try:
            record = connector.map_record(resource, payload, parent, connection.store)
        except MappingError as error:
            rejected.append(((payload, parent), error))
            continue
        if resource == "order":
            if record["created_at"] is not None and record["created_at"] < connection.order_start:
                continue
            record["warehouse"] = connection.warehouse
        record["connection_id"] = connection.id
        records.append(record)
    return records, rejected


def drain_events(shard: int) -> dict:
    """Store the buffered events of one shard, batch by batch, until it is empty."""
    settings = get_settings()
    redis = redis_for(settings)
    buffer = EventBuffer(redis)
    token = buffer.lock(shard)
    if token is None:
        return {"skipped": "another job is draining this shard"}
    batches = events = 0
    try:
        with Renewal(lambda: buffer.refresh(shard, token), DRAIN_LOCK_RENEW_SECONDS, f"the drain lock of shard {shard}"):
            while batch := buffer.claim(shard):
                store_batch(batch, redis, settings.event_retry_seconds)
                if not buffer.done(shard, token, batch):  # the lock lapsed: the batch is its new holder's
                    log.warning("shard %d: drain lock lost; another job carries on", shard)
                    break
                batches, events = batches + 1, events + len(batch)
                log.info("shard %d: batch of %d events stored", shard, len(batch))
    finally:
        buffer.unlock(shard, token)
    # Cleared before looking again: a delivery after this point queues a new drain itself.
    buffer.clear_drain_queued(shard)
    if buffer.waiting(shard) and buffer.mark_drain_queued(shard):
        enqueue_drain(redis, shard, retry_seconds=settings.event_retry_seconds)
    return {"batches": batches, "events": events}


def store_batch(raw_events: list[bytes], redis, retry_seconds: tuple[int, ...]) -> int:
    """Apply a batch in one transaction, each record's versions collapsed to what matters.

    Events the mapper or the database refuses are left out (the database's found by storing
    the batch in ever smaller parts), and each becomes a failed job of its own.
    """
    events, rejected = [], []
    for raw in raw_events:
        try:
            events.append(parse(raw))
        except (ValueError, KeyError, TypeError, RecursionError):  # nested deeper than the parser goes
            rejected.append(raw)
    with job_transaction() as session:
        ids = {event.connection_id for event in events}
        connections = {
            connection.public_id: connection
            for connection in session.scalars(select(Connection).where(Connection.public_id.in_(ids)))
            if connection.deleted_at is None
        }
        collapsed = collapse(events, lambda event: _change_time(connections, event))
        applied, refused = store_apart(session, collapsed, lambda part: _apply_events(session, connections, part))
        _record_last_deliveries(session, connections, events)
    ask_the_store(redis, [hint for _, hints, _ in applied for hint in hints])
    # A store may send no webhook for a variation's parent, whose price range and stock changed with it.
    ask_the_store(redis, [parent for _, _, parents in applied for parent in parents], delay_seconds=PARENT_REFRESH_DELAY_SECONDS)
    # Each bad event becomes its own job, which fails and lands in RQ's failed registry with
    # the reason, where an operator sees it; the rest of the batch is stored.
    for event in [event for poisoned, _, _ in applied for event in poisoned] + [event for event, _ in refused]:
        enqueue_event(redis, event.connection_id, event.resource, event.event, event.payload, event.received_at, retry_seconds=retry_seconds)
    for raw in rejected:
        queue(EVENTS_QUEUE, redis).enqueue(REJECT_ENVELOPE, raw.decode("utf-8", "replace"), result_ttl=RESULT_TTL_SECONDS)
    return len(events)


def _change_time(connections: dict[str, Connection], event: Event) -> str:
    connection = connections.get(event.connection_id)
    return connector_for(connection.external_system).deliveries.change_time(event.payload) if connection else ""


def _apply_events(
    session, connections: dict[str, Connection], events: list[Event]
) -> tuple[list[Event], list[Hint], list[Hint]]:
    """Apply collapsed events round by round; answer those the mapper refused, and what to ask the store (now, and parents later)."""
    poisoned: list[Event] = []
    hints: list[Hint] = []
    parents: list[Hint] = []
    for round_events in rounds(events):
        poisoned += _apply_round(session, connections, round_events, hints, parents)
    return poisoned, hints, parents


def _apply_round(
    session, connections: dict[str, Connection], events: list[Event], hints: list[Hint], parents: list[Hint]
) -> list[Event]:
    """Apply events of different records together, whatever their connection; answer those the mapper refused.

    Deletions, and restores not newer than what is stored, go to `hints`: the store decides
    them. The parent product of each variation created or updated goes to `parents`.
    """
    groups: dict[tuple[str, bool], list[dict]] = defaultdict(list)
    poisoned = []
    for event in events:
        connection = connections.get(event.connection_id)
        if connection is None:
            continue  # removed since: its events go with it
        if event.resource == APP:
            connection.needs_attention = APP_UNINSTALLED
            continue
        if event.event == "deleted":
            deleted = connector_for(connection.external_system).deleted_id(event.resource, event.payload)
            hints.append((event.connection_id, event.resource, deleted))
            continue
        items = connector_for(connection.external_system).delivered_items(event.resource, event.payload)
        records, rejected = map_records(connection, event.resource, items)
        if rejected:
            poisoned.append(event)
        groups[(event.resource, event.event == "restored")] += records
    public_ids = {connection.id: public_id for public_id, connection in connections.items()}
    for (resource, restored), records in groups.items():
        outcomes = upsert_many(session, RESOURCES[resource], records)
        if restored:
            hints += [
                (public_ids[connection_pk], resource, external_id)
                for (connection_pk, external_id), outcome in outcomes.items()
                if outcome is Outcome.STALE
            ]
        parents += [
            (public_ids[record["connection_id"]], "product", record["parent_external_id"])
            for record in records
            if record.get("parent_external_id")
            and outcomes[(record["connection_id"], record["external_id"])] in (Outcome.CREATED, Outcome.UPDATED)
        ]
    return poisoned


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


def ask_the_store(redis, hints: list[Hint], *, delay_seconds: int = 0) -> None:
    """Queue the store reads that decide the hinted records (after the transaction's commit), in `delay_seconds`."""
    by_record_kind: dict[tuple[str, str], list[str]] = defaultdict(list)
    for connection_id, resource, external_id in hints:
        by_record_kind[(connection_id, resource)].append(external_id)
    for (connection_id, resource), external_ids in by_record_kind.items():
        enqueue_refresh(redis, connection_id, resource, external_ids, delay_seconds=delay_seconds)


def reject_envelope(raw: str, reason: str = "the buffered event is not a valid envelope") -> None:
    """Fail on purpose, so an unreadable buffered event is kept in the failed registry."""
    raise PermanentJobError(f"{reason}: {raw[:200]}")
