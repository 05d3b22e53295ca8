"""Ask the store what became of a record: the only word a deletion or a restore is taken on.

A store may sign a delivery's body but not its headers, and a deletion's body may name only
the record: neither says when, nor (once its topic header is swapped) what happened. So a
`*.deleted` delivery, and a restore that is not newer than what is stored, are hints: this
job reads the record through the connection's connector and stores what the store says
(the connector's mapping says whether it is deleted; no such record is deleted for good). Hints are coalesced per record:
while one read is queued, more hints for that record add nothing, and a hint that arrives
once the read has begun queues another, so the last hint is always followed by a read.
"""

import logging

from sqlalchemy import select

from config import get_settings
from connections.credentials import Vault
from connections.service import ConnectionService
from db.models import Connection, Product
from db.records import Outcome, mark_deleted
from jobs.context import PermanentJobError, job_transaction
from jobs.events import RESOURCES, store_records
from jobs.queues import REFRESH_PENDING_KEY, redis_for
from jobs.store_trouble import ExpectedFailure, explain
from stores.errors import RetryPolicy, StoreError
from stores.registry import connector_for

log = logging.getLogger(__name__)

# The job itself asks once more on a busy store, then gives its worker back and is retried.
STORE_RETRY = RetryPolicy(attempts=2, base_delay=1.0, max_delay=2.0)


class StoreUnavailable(ExpectedFailure):
    """The store could not be asked; the job is retried (queues.enqueue_refresh), and polls repair the rest."""


def refresh_records(connection_id: str, resource: str, external_ids: list[str]) -> dict[str, str]:
    """Read each record from the store and store what it says; answer each id's outcome."""
    settings = get_settings()
    redis = redis_for(settings)
    # Cleared before reading: a hint from now on is about a change this read may not see.
    redis.delete(*(REFRESH_PENDING_KEY.format(connection_id=connection_id, resource=resource, external_id=external_id)
                   for external_id in external_ids))
    with job_transaction() as session:
        connection = session.scalar(select(Connection).where(Connection.public_id == connection_id))
        if connection is None or connection.deleted_at is not None:
            return {}
        session.expunge(connection)
        parents = _parents(session, connection.id, resource, external_ids)
        client = ConnectionService(settings, session, Vault(settings.secret_key), redis).client_for(
            connection, retry=STORE_RETRY
        )
    connector = connector_for(connection.external_system)
    read: dict[str, tuple[dict, str | None] | None] = {}
    try:
        with client:
            for external_id in external_ids:
                read[external_id] = connector.read_record(client, resource, external_id, parents.get(external_id))
    except StoreError as error:
        raise StoreUnavailable(
            f"Asking the store of “{connection.name}” about {resource} {', '.join(external_ids[:5])} failed: "
            f"{explain(error, connector)}"
        ) from None
    outcomes: dict[str, str] = {}
    with job_transaction() as session:
        connection = session.merge(connection, load=False)
        for external_id, found in read.items():
            if found is None:  # deleted for good: the store has no such record
                outcomes[external_id] = mark_deleted(session, RESOURCES[resource], connection.id, external_id).value
                continue
            stored, refused = store_records(session, connection, resource, [found], confirmed=True)
            if refused:
                raise PermanentJobError(f"{resource} {external_id}: {refused[0][1]}")
            outcomes[external_id] = stored.get(external_id, Outcome.SKIPPED).value
    log.info("asked the store about %s of %s: %s", resource, connection_id, outcomes)
    return outcomes


def _parents(session, connection_pk: int, resource: str, external_ids: list[str]) -> dict[str, str]:
    """The stored parent of each variation among `external_ids`: a variation is read under its parent."""
    if resource != "product":
        return {}
    rows = session.execute(
        select(Product.external_id, Product.parent_external_id).where(
            Product.connection_id == connection_pk,
            Product.external_id.in_(external_ids),
            Product.parent_external_id.is_not(None),
        )
    )
    return dict(rows.all())

