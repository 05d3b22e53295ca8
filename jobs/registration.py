"""The job that registers a new connection's webhooks, so creating one answers within seconds.

A store may ping the delivery URL before it answers each webhook creation (seconds each):
several of them do not fit in a web request. A topic the store would not register fails the job,
which is retried; the connection's polls repair whatever is still missing after the last try.
"""

import logging

from config import get_settings
from connections.credentials import Vault
from connections.service import ConnectionService
from jobs.context import job_transaction
from jobs.queues import redis_for

log = logging.getLogger(__name__)


class RegistrationIncomplete(Exception):
    """The store did not register every topic; a retry may succeed."""


def register_connection_webhooks(connection_id: str) -> dict[str, str]:
    """Register the connection's webhooks; answer each topic's status ({} once it is deleted)."""
    settings = get_settings()
    with job_transaction() as session:
        service = ConnectionService(settings, session, Vault(settings.secret_key), redis_for(settings))
        states = service.register_created(connection_id) or []
    failed = {state.topic: state.error for state in states if state.error}  # the store's reason
    if failed:
        raise RegistrationIncomplete(f"webhooks of {connection_id} not registered: {failed}")
    log.info("webhooks of %s registered", connection_id)
    return {state.topic: state.status for state in states}
