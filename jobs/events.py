"""Turn webhook deliveries into stored orders and products."""

import logging
from datetime import datetime

from sqlalchemy import select, update

from db.models import Connection, Order, Product, Webhook
from db.records import Outcome, mark_deleted, upsert_order, upsert_product
from jobs.context import PermanentJobError, job_transaction
from stores.woocommerce.mapping import deleted_id, map_order, map_product

log = logging.getLogger(__name__)

RESOURCES = {"order": Order, "product": Product}
EVENTS = frozenset({"created", "updated", "deleted", "restored"})
TRASH_STATUS = "trash"


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
    if resource == "order":
        return store_order(session, connection, payload, undelete=event == "restored")
    return store_product(session, connection, payload, undelete=event == "restored")


def store_order(session, connection: Connection, payload: dict, *, undelete: bool = False) -> Outcome:
    """Map and upsert one order, unless it was created before the connection's order start."""
    record = map_order(payload)
    if record["created_at"] is not None and record["created_at"] < connection.order_start:
        return Outcome.SKIPPED
    record["deleted"] = record["status"] == TRASH_STATUS
    return upsert_order(session, connection.id, record, warehouse=connection.warehouse, undelete=undelete)


def store_product(session, connection: Connection, payload: dict, *, undelete: bool = False, parent_external_id: str | None = None) -> Outcome:
    """Map and upsert one product or variation."""
    record = map_product(payload, parent_external_id=parent_external_id)
    record["deleted"] = record["status"] == TRASH_STATUS
    return upsert_product(session, connection.id, record, undelete=undelete)
