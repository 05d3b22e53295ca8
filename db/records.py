"""Idempotent, order-safe writes of orders and products.

A record is written only when it is newer (by the store's modification time) than what is
stored, so duplicates, replays and late deliveries change nothing. New records go in with
one INSERT ... ON CONFLICT DO NOTHING for a whole batch; the rest (those already stored, or
inserted first by another writer) with one INSERT ... ON CONFLICT DO UPDATE guarded by the
modification time.
"""

import enum

from sqlalchemy import and_, delete, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

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


# What identifies a stored record: never rewritten.
_KEY_COLUMNS = frozenset({"connection_id", "external_id"})


def _newer_than_stored(stored, modified_at, undelete: bool):
    """The condition under which an incoming version (its `modified_at`) replaces the `stored` one (its columns)."""
    newer = stored.modified_at < modified_at
    if undelete:
        # A restore may carry the same modification time as the trashing it undoes.
        return or_(newer, and_(stored.deleted.is_(True), stored.modified_at <= modified_at))
    return newer


def mark_deleted(session: Session, model, connection_id: int, external_id: str) -> Outcome:
    """Soft-delete a stored order or product (`model`); a restore undoes it."""
    deleted = session.execute(
        update(model)
        .where(model.connection_id == connection_id, model.external_id == external_id)
        .values(deleted=True, stored_at=utcnow())
        .returning(model.id)
    ).scalar_one_or_none()
    return Outcome.DELETED if deleted is not None else Outcome.MISSING


def upsert_many(
    session: Session, model, connection_id: int, records: list[dict], *, extra: dict | None = None, undelete: bool = False
) -> dict[str, Outcome]:
    """Store orders or products (`model`) mapped by `stores.woocommerce.mapping`; answer each id's outcome.

    New records go in with one INSERT for the batch; a stored record is replaced only by a
    newer version (a restore, `undelete`, also by an equally new one). Orders' line items are
    replaced with their order. `extra` holds columns set on every row (an order's warehouse).
    """
    newest: dict[str, dict] = {}
    for record in records:
        current = newest.get(record["external_id"])
        if current is None or record["modified_at"] >= current["modified_at"]:
            newest[record["external_id"]] = record
    if not newest:
        return {}
    now = utcnow()
    rows = []
    line_items: dict[str, list[dict]] = {}
    # In id order: writers that meet on the same records (a poll and a drain) lock them in the same order.
    for external_id, record in sorted(newest.items()):
        values = {**record, "connection_id": connection_id, "stored_at": now, **(extra or {})}
        values.setdefault("deleted", False)
        if model is Order:
            line_items[external_id] = values.pop("line_items")
        rows.append(values)
    builder = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    # Core inserts on the tables, not ORM bulk inserts: the ORM splits a batch wherever the
    # None-ness of a column changes from one row to the next (one statement per run of alike
    # rows: dozens per page of orders); Core sends the batch as one multi-row statement.
    table = model.__table__
    inserted = dict(
        (external_id, row_id)
        for row_id, external_id in session.execute(
            builder(table)
            .on_conflict_do_nothing(index_elements=["connection_id", "external_id"])
            .returning(table.c.id, table.c.external_id),
            rows,
        )
    )
    outcomes = {external_id: Outcome.CREATED for external_id in inserted}
    stored = [values for values in rows if values["external_id"] not in inserted]
    replaced: dict[str, int] = {}
    if stored:
        # The records already stored, all in one statement: each row is replaced only by a newer version.
        upsert = builder(table)
        replaced = dict(
            (external_id, row_id)
            for row_id, external_id in session.execute(
                upsert.on_conflict_do_update(
                    index_elements=["connection_id", "external_id"],
                    set_={column: upsert.excluded[column] for column in stored[0] if column not in _KEY_COLUMNS},
                    where=_newer_than_stored(table.c, upsert.excluded.modified_at, undelete),
                ).returning(table.c.id, table.c.external_id),
                stored,
            )
        )
        for values in stored:
            outcomes[values["external_id"]] = Outcome.UPDATED if values["external_id"] in replaced else Outcome.STALE
    if model is Order:
        _replace_line_items(session, {**inserted, **replaced}, line_items, list(replaced.values()))
    return outcomes


def _replace_line_items(session: Session, order_ids: dict[str, int], line_items: dict[str, list[dict]], updated: list[int]) -> None:
    if updated:
        session.execute(delete(OrderLineItem).where(OrderLineItem.order_id.in_(updated)))
    rows = [
        {**item, "order_id": order_id, "position": position}
        for external_id, order_id in order_ids.items()
        for position, item in enumerate(line_items[external_id])
    ]
    if rows:
        session.execute(insert(OrderLineItem.__table__), rows)
