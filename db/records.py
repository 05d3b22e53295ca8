"""Idempotent, order-safe writes of orders and products.

A record is written only when it is newer (by the store's modification time) than what is
stored, so duplicates, replays and late deliveries change nothing. Inserts race safely: the
unique (connection, external id) key decides, and the loser falls back to the conditional
update.
"""

import enum
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Order, OrderLineItem, Product
from db.types import utcnow


class Outcome(enum.StrEnum):
    """What a write did."""

    CREATED = "created"
    UPDATED = "updated"
    STALE = "stale"  # an older or identical version: nothing changed
    DELETED = "deleted"
    MISSING = "missing"  # a deletion for a record never stored
    SKIPPED = "skipped"  # outside what the connection imports (before order_start)


def _insert_ignoring_conflict(session: Session, model, values: dict):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, on either database."""
    dialect = session.get_bind().dialect.name
    builder = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
    statement = (
        builder(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["connection_id", "external_id"])
        .returning(model.id)
    )
    return session.execute(statement).scalar_one_or_none()


def _newer_than_stored(model, modified_at: datetime, undelete: bool):
    """The condition under which an incoming version replaces the stored one."""
    newer = model.modified_at < modified_at
    if undelete:
        # A restore may carry the same modification time as the trashing it undoes.
        return or_(newer, and_(model.deleted.is_(True), model.modified_at <= modified_at))
    return newer


def _upsert(session: Session, model, values: dict, undelete: bool) -> tuple[int | None, Outcome]:
    """Insert the row, or update it where the stored version is older; answer its id and what happened."""
    row_id = _insert_ignoring_conflict(session, model, values)
    if row_id is not None:
        return row_id, Outcome.CREATED
    row_id = session.execute(
        update(model)
        .where(model.connection_id == values["connection_id"], model.external_id == values["external_id"])
        .where(_newer_than_stored(model, values["modified_at"], undelete))
        .values(**values)
        .returning(model.id)
    ).scalar_one_or_none()
    return row_id, Outcome.STALE if row_id is None else Outcome.UPDATED


def upsert_order(session: Session, connection_id: int, record: dict, *, warehouse: str | None, undelete: bool = False) -> Outcome:
    """Store an order mapped by `stores.woocommerce.mapping.map_order`, if it is newer."""
    values = {**record, "connection_id": connection_id, "warehouse": warehouse, "stored_at": utcnow()}
    line_items = values.pop("line_items")
    values.setdefault("deleted", False)
    order_id, outcome = _upsert(session, Order, values, undelete)
    if outcome is Outcome.STALE:
        return outcome
    if outcome is Outcome.UPDATED:
        # Line items are replaced as a whole: WooCommerce sends them all with every version.
        session.execute(delete(OrderLineItem).where(OrderLineItem.order_id == order_id))
    if line_items:
        session.execute(
            insert(OrderLineItem),
            [{**item, "order_id": order_id, "position": position} for position, item in enumerate(line_items)],
        )
    return outcome


def upsert_product(session: Session, connection_id: int, record: dict, *, undelete: bool = False) -> Outcome:
    """Store a product or variation mapped by `map_product`, if it is newer."""
    values = {**record, "connection_id": connection_id, "stored_at": utcnow()}
    values.setdefault("deleted", False)
    return _upsert(session, Product, values, undelete)[1]


def mark_deleted(session: Session, model, connection_id: int, external_id: str) -> Outcome:
    """Soft-delete a stored order or product (`model`); a restore undoes it."""
    deleted = session.execute(
        update(model)
        .where(model.connection_id == connection_id, model.external_id == external_id)
        .values(deleted=True, stored_at=utcnow())
        .returning(model.id)
    ).scalar_one_or_none()
    return Outcome.DELETED if deleted is not None else Outcome.MISSING
