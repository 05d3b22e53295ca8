"""The change feed: every write of an order or product gets a position in one sequence, at commit.

A write sets the record's `change_position` to NULL; just before its transaction commits,
`number_changes` takes as many positions from the one-row counter as the transaction left
NULL rows and numbers them. The counter's row stays locked until the commit, so positions
are handed out in commit order (SQLite serialises writers anyway): once a reader sees a
position, every smaller one is committed, and a reader following the feed can never pass a
change still being written. Only a transaction's own NULLs are visible to it (committed
rows always have positions). A commit that wrote no records costs nothing here.
"""

from collections.abc import Iterable
from types import SimpleNamespace

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import ChangeCounter, Connection, Order, OrderLineItem, Product

# The feed's entities, in the order a transaction's new rows are numbered.
FEED_MODELS = {"orders": Order, "products": Product}
# session.info key: the models whose rows this transaction wrote.
_WRITTEN = "storelink_changed_models"
COUNTER_ID = 1


def note_changes(session: Session, model) -> None:
    """Say that `session` wrote rows of `model` (Order or Product) with `change_position` NULL."""
    session.info.setdefault(_WRITTEN, set()).add(model)


def clear_positions_of_written_objects(session: Session, _context, _instances) -> None:
    """Orders and products written through the ORM (not the Core upserts) join the feed too."""
    for instance in [*session.new, *session.dirty]:
        if isinstance(instance, Order | Product) and session.is_modified(instance):
            instance.change_position = None
            note_changes(session, type(instance))


def number_changes(session: Session) -> None:
    """Give every row this transaction wrote its position; run just before the commit.

    Not when a savepoint is released (SQLAlchemy calls this hook then too): the outermost
    commit numbers everything, so the counter stays unlocked while the transaction works.
    A transaction rolled back leaves its models named; the next commit of the session finds
    no NULL row of them, which costs it one indexed query.
    """
    if session.in_nested_transaction():
        return
    session.flush()  # the commit would flush next anyway; ORM writes name their models here
    written = session.info.pop(_WRITTEN, None)
    if not written:
        return
    pending = [
        (model, session.scalar(select(func.count()).select_from(model).where(model.change_position.is_(None))))
        for model in FEED_MODELS.values() if model in written
    ]
    count = sum(rows for _, rows in pending)
    if not count:
        return
    position = _take_positions(session, count) - count
    for model, rows in pending:
        if not rows:
            continue
        # One statement: the rows in id order get the next positions.
        table = model.__table__
        numbered = (
            select(table.c.id, func.row_number().over(order_by=table.c.id).label("offset"))
            .where(table.c.change_position.is_(None))
            .subquery()
        )
        session.execute(update(table).where(table.c.id == numbered.c.id).values(change_position=position + numbered.c.offset))
        position += rows


def _take_positions(session: Session, count: int) -> int:
    """Add `count` to the counter (creating its row if needed) and answer its new value; locks the row until commit."""
    builder = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    table = ChangeCounter.__table__
    upsert = builder(table).values(id=COUNTER_ID, last_position=count)
    statement = upsert.on_conflict_do_update(
        index_elements=[table.c.id], set_={"last_position": table.c.last_position + upsert.excluded.last_position}
    ).returning(table.c.last_position)
    return session.execute(statement).scalar_one()


def last_position(session: Session) -> int:
    """The newest committed position (0 before the first write)."""
    return session.scalar(select(ChangeCounter.last_position).where(ChangeCounter.id == COUNTER_ID)) or 0


def read_changes(
    session: Session, after: int, limit: int, *, connection_pk: int | None = None, entities: Iterable[str] = FEED_MODELS
) -> list[tuple[int, str, str, SimpleNamespace]]:
    """Up to `limit` records written after position `after`, as (position, entity, connection public id, record).

    Only positions up to the counter's committed value are read: every one of those is
    committed, so none can be passed by a transaction still running. Records are read as
    plain rows (an order with its `line_items`), not ORM objects: a page of a thousand
    orders holds several thousand line items.
    """
    high = last_position(session)
    found: list[tuple[int, str, SimpleNamespace]] = []
    for entity in entities:
        table = FEED_MODELS[entity].__table__
        query = select(table).where(table.c.change_position > after, table.c.change_position <= high)
        if connection_pk is not None:
            query = query.where(table.c.connection_id == connection_pk)
        rows = session.execute(query.order_by(table.c.change_position).limit(limit)).mappings()
        found += [(row["change_position"], entity, SimpleNamespace(**row)) for row in rows]
    found.sort(key=lambda change: change[0])
    found = found[:limit]
    orders = {record.id: record for _, entity, record in found if entity == "orders"}
    for record in orders.values():
        record.line_items = []
    if orders:
        items = OrderLineItem.__table__
        query = select(items).where(items.c.order_id.in_(orders)).order_by(items.c.order_id, items.c.position)
        for item in session.execute(query).mappings():
            orders[item["order_id"]].line_items.append(SimpleNamespace(**item))
    public_ids = dict(
        session.execute(
            select(Connection.id, Connection.public_id).where(Connection.id.in_({record.connection_id for *_, record in found}))
        ).all()
    ) if found else {}
    return [(position, entity, public_ids[record.connection_id], record) for position, entity, record in found]


def changed_between(session: Session, after: int, upto: int, *, connection_pk: int | None = None) -> list[tuple[str, str]]:
    """Which connections (public ids) and entities have records at positions after `after` up to `upto`."""
    found: set[tuple[str, str]] = set()
    for entity, model in FEED_MODELS.items():
        query = (
            select(Connection.public_id)
            .join(model, model.connection_id == Connection.id)
            .where(model.change_position > after, model.change_position <= upto)
            .distinct()
        )
        if connection_pk is not None:
            query = query.where(model.connection_id == connection_pk)
        found.update((public_id, entity) for public_id in session.scalars(query))
    return sorted(found)
