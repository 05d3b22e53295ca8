"""The job that registers a new connection's webhooks, so creating one answers within seconds.

A store may ping the delivery URL before it answers each webhook creation (seconds each):
several of them do not fit in a web request. A topic the store would not register fails the job,
which is retried; the connection's polls repair whatever is still missing after the last try.
"""

import logging

from sqlalchemy import select

from config import get_settings
from connections.credentials import Vault
from connections.service import ConnectionService
from db.models import Connection
from jobs.context import job_transaction
from jobs.queues import redis_for
from jobs.store_trouble import ExpectedFailure, explain
from stores.errors import StoreError
from stores.registry import connector_for, is_known

log = logging.getLogger(__name__)


# What to do when the store would not register some webhooks.
NOT_REGISTERED_NEXT_STEP = (
    "The store pings each webhook's delivery address when it registers it: check that PUBLIC_URL is "
    "reachable from the store (https, port 80, 443 or 8080). Registration is tried again after 10 s, "
    "1, 5 and 15 minutes, and every poll repairs what is still missing."
)


class RegistrationIncomplete(ExpectedFailure):
    """The store did not register every topic, or could not be asked; a retry may succeed."""


def register_connection_webhooks(connection_id: str) -> dict[str, str]:
    """Register the connection's webhooks; answer each topic's status ({} once it is deleted)."""
    settings = get_settings()
    with job_transaction() as session:
        name, system = session.execute(
            select(Connection.name, Connection.external_system).where(Connection.public_id == connection_id)
        ).one_or_none() or (None, None)
        service = ConnectionService(settings, session, Vault(settings.secret_key), redis_for(settings))
        try:
            states = service.register_created(connection_id) or []
        except StoreError as error:
            connector = connector_for(system) if is_known(system) else None
            raise RegistrationIncomplete(f"Registering the webhooks of “{name}” failed: {explain(error, connector)}") from None
    failed = {state.topic: state.error for state in states if state.error}  # the store's reason
    if failed:
        reasons = "; ".join(f"{topic}: {reason}" for topic, reason in sorted(failed.items()))
        raise RegistrationIncomplete(
            f"The store did not register {len(failed)} of the {len(states)} webhooks of “{name}” ({reasons}). "
            f"What to do: {NOT_REGISTERED_NEXT_STEP}"
        )
    log.info("webhooks of %s registered", connection_id)
    return {state.topic: state.status for state in states}
