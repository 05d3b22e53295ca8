"""Idempotent, order-safe writes of orders and products.

A record is written only when it is newer (by the store's modification time) than what is
stored, so duplicates, replays and late deliveries change nothing. New records go in with
one INSERT ... ON CONFLICT DO NOTHING for a whole batch; the rest (those already stored, or
inserted first by another writer) with one INSERT ... ON CONFLICT DO UPDATE guarded by the
modification time. Every write leaves the record's feed position NULL, to be numbered at
commit (db.changes).
"""

import enum

from sqlalchemy import and_, case, delete, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.changes import note_changes
from db.models import Order, OrderLineItem
from db.types import utcnow


class Outcome(enum.StrEnum):
    """What a write did."""

    CREATED = "created"
    UPDATED = "updated"
    STALE = "stale"  # an older or identical version: nothing changed
    DELETED = "deleted"
    MISSING = "missing"  # a deletion for a record never stored
    SKIPPED = "skipped"  # outside what the connection imports (before order_start)
    ASKED = "asked"  # only the store can tell (a deletion, a restore): it is asked


# What identifies a stored record (the unique index); never rewritten.
_KEY_COLUMNS = ("connection_id", "external_id")


def _newer_than_stored(stored, incoming, confirmed: bool):
    """The condition under which an `incoming` version (its columns) replaces the `stored` one."""
    newer = stored.modified_at < incoming.modified_at
    if confirmed:
        # Read from the store just now: a trashing or a restore within the same second as the
        # stored version (same modification time) is still what the store says.
        return or_(newer, and_(stored.modified_at == incoming.modified_at, stored.deleted != incoming.deleted))
    return newer


def mark_deleted(session: Session, model, connection_id: int, external_id: str) -> Outcome:
    """Soft-delete a stored order or product (`model`) the store no longer has; a newer version undoes it."""
    deleted = mark_many_deleted(session, model, connection_id, [external_id])
    return Outcome.DELETED if deleted else Outcome.MISSING


def mark_many_deleted(session: Session, model, connection_id: int, external_ids: list[str]) -> int:
    """Soft-delete these stored records of one connection; answer how many are stored.

    Those not deleted already move up the change feed; those that were keep their place.
    """
    found = session.execute(
        update(model)
        .where(model.connection_id == connection_id, model.external_id.in_(external_ids))
        .values(deleted=True, stored_at=utcnow(), change_position=case((model.deleted, model.change_position), else_=None))
        .returning(model.id)
    ).all()
    if found:
        note_changes(session, model)
    return len(found)


# A stored record: its connection (primary key) and its id in the store.
RecordKey = tuple[int, str]


def upsert_many(session: Session, model, records: list[dict], *, confirmed: bool = False) -> dict[RecordKey, Outcome]:
    """Store orders or products (`model`) mapped by their connector (`stores.connector`); answer each record's outcome.

    Each record carries its `connection_id`, and may carry further columns (an order's
    warehouse); records of several connections go together. New records go in with one
    INSERT for the batch; a stored record is replaced only by a newer version (a version just
    read from the store, `confirmed`, also by an equally new one that is or is not deleted
    where the stored one is not or is). Orders' line items are replaced with their order.
    """
    newest: dict[RecordKey, dict] = {}
    for record in records:
        key = (record["connection_id"], record["external_id"])
        current = newest.get(key)
        if current is None or record["modified_at"] >= current["modified_at"]:
            newest[key] = record
    if not newest:
        return {}
    now = utcnow()
    rows = []
    line_items: dict[RecordKey, list[dict]] = {}
    # In key order: writers that meet on the same records (a poll and a drain) lock them in the same order.
    for key, record in sorted(newest.items()):
        values = {**record, "stored_at": now, "change_position": None}
        values.setdefault("deleted", False)
        if model is Order:
            line_items[key] = values.pop("line_items")
        rows.append(values)
    builder = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    # Core inserts on the tables, not ORM bulk inserts: the ORM splits a batch wherever the
    # None-ness of a column changes from one row to the next (one statement per run of alike
    # rows: dozens per page of orders); Core sends the batch as one multi-row statement.
    table = model.__table__
    returned = (table.c.id, table.c.connection_id, table.c.external_id)
    inserted = {
        (connection_id, external_id): row_id
        for row_id, connection_id, external_id in session.execute(
            builder(table).on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS)).returning(*returned), rows
        )
    }
    outcomes = dict.fromkeys(inserted, Outcome.CREATED)
    stored = [values for values in rows if (values["connection_id"], values["external_id"]) not in inserted]
    replaced: dict[RecordKey, int] = {}
    if stored:
        # The records already stored, all in one statement: each row is replaced only by a newer version.
        upsert = builder(table)
        replaced = {
            (connection_id, external_id): row_id
            for row_id, connection_id, external_id in session.execute(
                upsert.on_conflict_do_update(
                    index_elements=list(_KEY_COLUMNS),
                    set_={column: upsert.excluded[column] for column in stored[0] if column not in _KEY_COLUMNS},
                    where=_newer_than_stored(table.c, upsert.excluded, confirmed),
                ).returning(*returned),
                stored,
            )
        }
        for values in stored:
            key = (values["connection_id"], values["external_id"])
            outcomes[key] = Outcome.UPDATED if key in replaced else Outcome.STALE
    if inserted or replaced:
        note_changes(session, model)
    if model is Order:
        _replace_line_items(session, {**inserted, **replaced}, line_items, list(replaced.values()))
    return outcomes


def _replace_line_items(session: Session, order_ids: dict[RecordKey, int], line_items: dict[RecordKey, list[dict]], updated: list[int]) -> None:
    if updated:
        session.execute(delete(OrderLineItem).where(OrderLineItem.order_id.in_(updated)))
    rows = [
        {**item, "order_id": order_id, "position": position}
        for key, order_id in order_ids.items()
        for position, item in enumerate(line_items[key])
    ]
    if rows:
        session.execute(insert(OrderLineItem.__table__), rows)
