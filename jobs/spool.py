"""The database spool: verified deliveries kept while Redis was unreachable, buffered when it is back.

The receiver answers 202 only for what it has kept somewhere durable: the RQ queue, or here.
"""

import json
import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import SpooledDelivery
from jobs.buffer import EventBuffer, envelope
from jobs.counters import OUTCOME_SPOOLED, count_delivery

log = logging.getLogger(__name__)

# Deliveries moved back into the queue per transaction.
DRAIN_BATCH = 500


def spool_delivery(
    session: Session, connection_id: str, resource: str, event: str, payload: dict, received_at: datetime
) -> None:
    """Keep one delivery (in the caller's transaction)."""
    session.add(
        SpooledDelivery(
            connection_public_id=connection_id, resource=resource, event=event, payload=payload, received_at=received_at
        )
    )


def drain_spool(session: Session, buffer: EventBuffer) -> int:
    """Move spooled deliveries, oldest first, into the event buffer; answer how many moved.

    A delivery moved twice (a crash between the move and the delete) is harmless: storing
    is idempotent. The clock queues drain jobs for the shards that now hold events.
    """
    moved = 0
    while True:
        batch = session.scalars(select(SpooledDelivery).order_by(SpooledDelivery.id).limit(DRAIN_BATCH)).all()
        if not batch:
            return moved
        for delivery in batch:
            body = json.dumps(delivery.payload, separators=(",", ":"))
            message = envelope(
                delivery.connection_public_id, delivery.resource, delivery.event, delivery.received_at.isoformat(), body
            )
            buffer.push_unchecked(delivery.connection_public_id, message)
        session.execute(delete(SpooledDelivery).where(SpooledDelivery.id.in_([delivery.id for delivery in batch])))
        session.commit()
        # Counted now: while they were spooled, Redis (where the counts are) was away.
        count_delivery(buffer.redis, OUTCOME_SPOOLED, len(batch))
        moved += len(batch)
        log.info("%d spooled deliveries moved to the event buffer", len(batch))
