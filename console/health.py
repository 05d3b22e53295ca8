"""How a connection is doing: from the database for the list, from the store for its own page."""

from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connections.delivery_gap import UndeliveredChanges, undelivered_changes
from connections.service import ConnectionService
from connections.webhooks import STATUS_ACTIVE, STATUS_REGISTERING
from db.models import RUN_FAILED, RUN_SUCCEEDED, Connection, SyncRun
from jobs.failures import failed_job_counts
from jobs.store_trouble import trouble_in
from stores.errors import StoreError
from stores.registry import connector_for

ACTIVE = STATUS_ACTIVE


@dataclass(frozen=True)
class Health:
    """A connection at a glance (no store calls): what the list page shows."""

    webhooks_active: int
    webhooks_total: int
    last_delivery_at: datetime | None
    last_poll_at: dict[str, datetime | None]
    needs_attention: str | None
    failed_jobs: int | None  # None: the queue could not be asked
    cause: str | None = None  # why the last poll of some entity failed, when the store caused it
    undelivered: UndeliveredChanges | None = None  # polls keep finding changes no delivery brought

    @property
    def webhooks_ok(self) -> bool:
        """Every webhook is registered and active."""
        return self.webhooks_total > 0 and self.webhooks_active == self.webhooks_total

    @property
    def ok(self) -> bool:
        """Nothing for an operator to look at."""
        return (
            self.webhooks_ok and not self.needs_attention and not self.failed_jobs and not self.cause
            and self.undelivered is None
        )


def health_of(connections: list[Connection], redis, session: Session) -> dict[str, Health]:
    """Each connection's health by its public id, read from the database and RQ only."""
    try:
        failed = failed_job_counts(redis, [connection.public_id for connection in connections])
    except RedisError:
        failed = {}
    causes = failed_poll_causes(session, [connection.id for connection in connections])
    return {
        connection.public_id: Health(
            webhooks_active=sum(webhook.status == ACTIVE for webhook in connection.webhooks),
            webhooks_total=len(connection.webhooks),
            last_delivery_at=last_delivery(connection),
            last_poll_at={schedule.entity: schedule.last_poll_at for schedule in connection.schedules},
            needs_attention=connection.needs_attention,
            failed_jobs=failed.get(connection.public_id),
            cause=causes.get(connection.id),
            undelivered=undelivered_changes(session, connection),
        )
        for connection in connections
    }


def failed_poll_causes(session: Session, connection_pks: list[int]) -> dict[int, str]:
    """Per connection, what the store did wrong when the last finished poll of an entity failed."""
    latest = (
        select(func.max(SyncRun.id))
        .where(SyncRun.connection_id.in_(connection_pks), SyncRun.status.in_((RUN_SUCCEEDED, RUN_FAILED)))
        .group_by(SyncRun.connection_id, SyncRun.entity)
    )
    causes: dict[int, str] = {}
    for connection_pk, status, error in session.execute(
        select(SyncRun.connection_id, SyncRun.status, SyncRun.error).where(SyncRun.id.in_(latest)).order_by(SyncRun.id)
    ):
        trouble = trouble_in(error) if status == RUN_FAILED else None
        if trouble is not None:
            causes[connection_pk] = trouble.waiting
    return causes


def last_delivery(connection: Connection) -> datetime | None:
    """When the store last delivered anything to the connection."""
    return max((w.last_delivery_at for w in connection.webhooks if w.last_delivery_at), default=None)


@dataclass(frozen=True)
class WebhookRow:
    """One of the connection's webhooks, as recorded and as the store reports it."""

    topic: str
    store_webhook_id: str | None
    recorded_status: str
    store_status: str | None  # None: the store was not asked or did not answer
    missing_on_store: bool
    last_delivery_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class WebhookReport:
    """The connection's webhooks and whether the store could be asked about them."""

    rows: list[WebhookRow]
    store_error: StoreError | None


def webhook_report(service: ConnectionService, connection: Connection) -> WebhookReport:
    """Ask the store for its webhooks and set them beside what Storelink recorded.

    `service` should be a quick one (see `connection_service`): a page waits on this call.
    """
    client = service.client_for(connection)
    service.release()
    on_store: dict[str, str | None] | None = None  # each webhook's status by its id
    error = None
    try:
        with client:
            on_store = connector_for(connection.external_system).webhooks_on_store(client)
    except StoreError as failure:
        error = failure
    rows = [
        WebhookRow(
            topic=webhook.topic,
            store_webhook_id=webhook.store_webhook_id,
            recorded_status=webhook.status,
            store_status=on_store.get(_key(webhook)) if on_store is not None else None,
            missing_on_store=on_store is not None and _key(webhook) not in on_store
            and webhook.status != STATUS_REGISTERING,
            last_delivery_at=webhook.last_delivery_at,
            error=webhook.error,
        )
        for webhook in connection.webhooks
    ]
    return WebhookReport(rows=rows, store_error=error)


def _key(webhook) -> str | None:
    """A webhook's store id as the connector answers it (a string)."""
    return None if webhook.store_webhook_id is None else str(webhook.store_webhook_id)
