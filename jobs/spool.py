"""The database spool: verified deliveries kept while Redis was unreachable, requeued when it is back.

The receiver answers 202 only for what it has kept somewhere durable: the RQ queue, or here.
"""

import logging
from datetime import datetime

from redis import Redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import SpooledDelivery
from jobs.queues import enqueue_event

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


def drain_spool(session: Session, redis: Redis, *, retry_seconds: tuple[int, ...]) -> int:
    """Queue spooled deliveries, oldest first, removing each once queued; answer how many."""
    drained = 0
    while True:
        batch = session.scalars(select(SpooledDelivery).order_by(SpooledDelivery.id).limit(DRAIN_BATCH)).all()
        if not batch:
            return drained
        done = []
        try:
            for delivery in batch:
                enqueue_event(
                    redis,
                    delivery.connection_public_id,
                    delivery.resource,
                    delivery.event,
                    delivery.payload,
                    delivery.received_at.isoformat(),
                    retry_seconds=retry_seconds,
                )
                done.append(delivery.id)
        finally:
            # A delivery queued twice (crash between queue and delete) is harmless: jobs are idempotent.
            if done:
                session.execute(delete(SpooledDelivery).where(SpooledDelivery.id.in_(done)))
                session.commit()
                drained += len(done)
                log.info("%d spooled deliveries queued", len(done))
