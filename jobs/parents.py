"""Refresh a variable product from the store after its variations changed.

Adding, changing or selling a variation makes WooCommerce save its parent too: the parent's
price range, stock status and modification time change, but no webhook is sent for it. So
when a drain stores a variation it schedules this job for the parent (one per parent at a
time, `jobs.queues.schedule_parent_refreshes`), which fetches the parent and stores it
through the same order-safe upsert as every other version of it.
"""

import logging

from sqlalchemy import select

from config import get_settings
from connections.credentials import Vault
from connections.service import ConnectionService
from db.models import Connection
from db.records import Outcome
from jobs.context import job_transaction
from jobs.events import store_records
from jobs.queues import parent_refresh_key, redis_connection
from stores.woocommerce.errors import StoreError

log = logging.getLogger(__name__)

# The store answers 404 for a product deleted for good (or trashed and then emptied).
NOT_FOUND = 404


def refresh_parent(connection_id: str, parent_external_id: str) -> str:
    """Fetch product `parent_external_id` of a connection from its store and store it; answer the outcome."""
    settings = get_settings()
    redis = redis_connection(settings.redis_url)
    # Cleared before fetching: a variation stored from now on schedules another refresh,
    # which will see its change; one stored before is seen by this fetch.
    redis.delete(parent_refresh_key(connection_id, parent_external_id))
    with job_transaction() as session:
        connection = session.scalar(select(Connection).where(Connection.public_id == connection_id))
        if connection is None or connection.deleted_at is not None:
            return "connection removed"
        if connection.needs_attention:
            return "connection paused: " + connection.needs_attention
        client = ConnectionService(settings, session, Vault(settings.secret_key), redis).client_for(connection)
    with client:
        try:
            product = client.get(f"products/{parent_external_id}").body
        except StoreError as error:
            if error.status == NOT_FOUND:
                return "not on the store"  # gone for good: the next full poll marks it deleted
            raise  # RQ tries again after the event retry delays; the message names no secret
    with job_transaction() as session:
        outcomes, rejected = store_records(session, connection, "product", [(product, None)])
        if rejected:
            raise rejected[0][1]
    outcome = outcomes.get(parent_external_id, Outcome.STALE)
    log.info("parent product %s of connection %s refreshed: %s", parent_external_id, connection_id, outcome)
    return outcome.value
