"""Reading stored orders and products: the one set of query rules the admin API and the console share.

A deleted connection's records stay readable: the connection row is kept (for the
receiver's 410) and its orders and products with it, marked as belonging to a removed
connection by the connection's `deleted_at`.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connections.errors import ConnectionNotFound
from db.ids import is_external_id, is_public_id
from db.models import Connection, Order, Product

MODELS = {"orders": Order, "products": Product}


@dataclass(frozen=True)
class RecordCount:
    """How many records of one entity a connection has stored, and how many of them are deleted."""

    stored: int
    deleted: int


def readable_connection(session: Session, public_id: str) -> Connection:
    """The connection whose records are asked for, active or deleted; ConnectionNotFound otherwise."""
    connection = None
    if is_public_id(public_id):
        connection = session.scalar(select(Connection).where(Connection.public_id == public_id))
    if connection is None:
        raise ConnectionNotFound(public_id)
    return connection


def removed_connections(session: Session) -> list[Connection]:
    """Deleted connections that still hold stored records, most recently deleted first."""
    holding = select(Order.connection_id).union(select(Product.connection_id))
    return list(
        session.scalars(
            select(Connection)
            .where(Connection.deleted_at.is_not(None), Connection.id.in_(holding))
            .order_by(Connection.deleted_at.desc())
        )
    )


def record_counts(session: Session, connection_pk: int) -> dict[str, RecordCount]:
    """Per entity: records stored for the connection (deleted ones included) and those deleted."""
    counts = {}
    for entity, model in MODELS.items():
        stored, deleted = session.execute(
            select(func.count(), func.count().filter(model.deleted.is_(True))).where(model.connection_id == connection_pk)
        ).one()
        counts[entity] = RecordCount(stored=stored, deleted=deleted)
    return counts


def record_page(session: Session, model, connection_pk: int, query: dict) -> tuple[int, list]:
    """The total and one page of records, newest modified first; `query` as `PageQuery` loads it."""
    conditions = [model.connection_id == connection_pk]
    if "status" in query:
        conditions.append(model.status == query["status"])
    if "modified_since" in query:
        conditions.append(model.modified_at >= query["modified_since"])
    total = session.scalar(select(func.count()).select_from(model).where(*conditions))
    rows = session.scalars(
        select(model)
        .where(*conditions)
        .order_by(model.modified_at.desc(), model.id.desc())
        .limit(query["per_page"])
        .offset((query["page"] - 1) * query["per_page"])
    )
    return total, list(rows)


def find_record(session: Session, model, connection_pk: int, external_id: str):
    """One record by the store's id, or None."""
    if not is_external_id(external_id):
        return None
    return session.scalar(select(model).where(model.connection_id == connection_pk, model.external_id == external_id))
