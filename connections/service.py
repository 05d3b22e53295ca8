"""Create, change and remove connections: verify first, save only what verified, keep webhooks in step.

The admin API (and any later console) calls these; no other layer repeats their rules.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Settings
from connections.credentials import Vault, mask_access_token
from connections.errors import ConnectionNotFound, FieldErrors
from connections.identity import DuplicateStore, connection_with_fingerprint, store_key_fingerprint
from connections.schedules import default_schedules
from connections.webhooks import STATUS_FAILED, STATUS_REGISTERING, RegistrationLock, delivery_url
from db.ids import is_public_id, new_public_id
from db.models import Connection, Webhook
from db.types import utcnow
from stores.connector import Connector, StoreClient, StoreLink, StoreOptions, Verification, WebhookState
from stores.errors import NO_RETRY, RetryPolicy, StoreError
from stores.registry import connector_for
from stores.urls import StoreUrlError, check_store_url

log = logging.getLogger(__name__)

# After a key rotation, deliveries signed with the old secret still verify for this long:
# the store may have signed some before it learned the new one.
SECRET_GRACE_PERIOD = timedelta(days=1)
# Bytes of randomness in a connection's public id (it appears in webhook URLs): 128 bits.
PUBLIC_ID_BYTES = 16


@dataclass(frozen=True)
class Removal:
    """What deleting a connection did to its webhooks on the store."""

    removed: int
    failures: dict[str, str]


class ConnectionService:
    """The connection use cases, bound to one session and the process settings."""

    def __init__(self, settings: Settings, session: Session, vault: Vault, redis: Redis, *, queue_registration=None):
        self.settings = settings
        self.session = session
        self.vault = vault
        self.queue_registration = queue_registration
        self.registration = RegistrationLock(redis, settings.store_timeout_seconds)

    # -- reading -------------------------------------------------------------------------

    def list_active(self) -> list[Connection]:
        """Active connections, oldest first."""
        return list(
            self.session.scalars(select(Connection).where(Connection.deleted_at.is_(None)).order_by(Connection.id))
        )

    def get(self, public_id: str) -> Connection:
        """One active connection, or ConnectionNotFound."""
        if not is_public_id(public_id):
            raise ConnectionNotFound(public_id)
        connection = self.session.scalar(select(Connection).where(Connection.public_id == public_id))
        if connection is None or connection.deleted_at is not None:
            raise ConnectionNotFound(public_id)
        return connection

    def release(self) -> None:
        """End the session's transaction: none may stay open while we wait on a store.

        A store answers in seconds (and pings our receiver meanwhile); a transaction held
        that long would block other writers, and on SQLite every other request.
        """
        self.session.commit()

    def store_options(self) -> StoreOptions:
        """How this installation reaches stores."""
        settings = self.settings
        return StoreOptions(settings.store_timeout_seconds, settings.store_ca_bundle or True, settings.allow_private_store_urls)

    def client_for(self, connection: Connection, *, retry: RetryPolicy = NO_RETRY) -> StoreClient:
        """A store client (its connector's) with the connection's credentials and remembered auth mode."""
        link = StoreLink(
            api_url=connection.api_url,
            access_token=self.vault.decrypt(connection.access_token_encrypted),
            secret=self.vault.decrypt(connection.secret_encrypted),
            auth_mode=connection.auth_mode,
            store=connection.store or {},
        )
        return connector_for(connection.external_system).client(link, self.store_options(), retry=retry)

    # -- verifying -----------------------------------------------------------------------

    def verify(self, api_url: str, access_token: str, secret: str, *, system: str, order_start: datetime | None = None) -> Verification:
        """Check the store (of `system`, orders from `order_start`) without saving anything; StoreError says why it failed."""
        try:
            check_store_url(api_url, allow_private=self.settings.allow_private_store_urls)
        except StoreUrlError as error:
            raise FieldErrors({"api_url": [str(error)]}) from None
        return connector_for(system).verify(api_url, access_token, secret, self.store_options(), order_start=order_start)

    # -- changing ------------------------------------------------------------------------

    def create(self, fields: dict) -> Connection:
        """Verify, save with every webhook `registering`, queue their registration (each ping may take seconds)
        with the `queue_registration(public_id, job_timeout=...)` given; a refusal saves and queues nothing."""
        system = fields["external_system"]
        verification = self.verify(fields["api_url"], fields["access_token"], fields["secret"], system=system, order_start=fields.get("order_start"))
        connector = connector_for(system)
        public_id = new_public_id(PUBLIC_ID_BYTES)
        url = delivery_url(self.settings.public_url, system, public_id)
        connection = Connection(
            public_id=public_id,
            name=fields["name"],
            external_system=system,
            order_start=fields.get("order_start") or utcnow(),
            warehouse=fields.get("warehouse"),
            company_group=fields.get("company_group"),
            notify_url=fields.get("notify_url"), notify_secret_encrypted=fields.get("notify_secret_encrypted"),
            schedules=default_schedules(utcnow()),
            webhooks=[Webhook(topic=t, status=STATUS_REGISTERING, delivery_url=url) for t in connector.topics],
        )
        self._set_credentials(connection, fields["access_token"], fields["secret"], verification, connector)
        self.session.add(connection)
        self._commit_claiming_store(connection)
        try:
            # The job waits for the lock, then registers: twice the lock's expiry bounds both.
            self.queue_registration(public_id, job_timeout=2 * self.registration.expiry_seconds)
        except RedisError as error:
            log.warning("connection %s: registration not queued (%s); its first poll registers the webhooks", public_id, error)
        log.info("connection %s created for %s", public_id, connection.api_url)
        return connection

    def register_created(self, public_id: str) -> list[WebhookState] | None:
        """Register a new connection's webhooks (the job `create` queued); None once it is deleted.

        Under the registration lock: a deletion meanwhile waits, then removes what this registered.
        A store that cannot list its webhooks leaves those not registered `failed` and raises.
        """
        with self.registration.held(public_id):
            connection = self.session.scalar(select(Connection).where(Connection.public_id == public_id))
            if connection is None or connection.deleted_at is not None:
                return None
            try:
                return self._register_webhooks(connection, self.vault.decrypt(connection.secret_encrypted), refresh=True)
            except StoreError as error:
                for webhook in connection.webhooks:
                    if webhook.status == STATUS_REGISTERING:
                        webhook.status, webhook.error = STATUS_FAILED, error.message
                self.session.commit()
                raise

    def update(self, connection: Connection, changes: dict) -> Connection:
        """Change fields; new credentials or a new URL are verified first and webhooks re-registered."""
        credentials_changed = any(
            key in changes and changes[key] != current
            for key, current in (
                ("api_url", connection.api_url),
                ("access_token", self.vault.decrypt(connection.access_token_encrypted)),
                ("secret", self.vault.decrypt(connection.secret_encrypted)),
            )
        )
        if not credentials_changed:
            self._set_plain_fields(connection, changes)
            self.session.commit()
            return connection
        access_token = changes.get("access_token") or self.vault.decrypt(connection.access_token_encrypted)
        secret = changes.get("secret") or self.vault.decrypt(connection.secret_encrypted)
        self.release()
        connector = connector_for(connection.external_system)
        verification = self.verify(changes.get("api_url", connection.api_url), access_token, secret, system=connector.system, order_start=changes.get("order_start", connection.order_start))
        other = connection_with_fingerprint(self.session, store_key_fingerprint(verification.api_url, access_token, connector.system))
        if other is not None and other.id != connection.id:
            raise DuplicateStore(other)  # before the old store's webhooks go
        self.release()
        with self.registration.held(connection.public_id):
            if connector.normalize_api_url(changes.get("api_url", connection.api_url)) != connection.api_url:
                self._remove_store_webhooks(connection)
            if secret != self.vault.decrypt(connection.secret_encrypted):
                connection.previous_secret_encrypted = connection.secret_encrypted
                connection.previous_secret_until = utcnow() + SECRET_GRACE_PERIOD
            self._set_credentials(connection, access_token, secret, verification, connector)
            connection.needs_attention = None
            self._set_plain_fields(connection, changes)
            # Another change may have claimed the store since the check (the database decides).
            self._commit_claiming_store(connection)
            self._register_webhooks(connection, secret, refresh=True)
        return connection

    def delete(self, connection: Connection) -> Removal:
        """Remove the store's webhooks (best effort), forget the credentials, stop everything."""
        # No transaction (on SQLite, a writing request's write lock) stays open while we wait.
        self.release()
        with self.registration.held(connection.public_id):
            # Re-read after waiting: a poll's heal may have just replaced some webhooks.
            self.session.expire(connection, ["webhooks"])
            removal = self._remove_store_webhooks(connection)
            connection.deleted_at = utcnow()
            # The row stays so late deliveries get 410 Gone; the keys are of no use to anyone now.
            connection.access_token_encrypted = ""
            connection.secret_encrypted = ""
            connection.previous_secret_encrypted = connection.notify_secret_encrypted = None
            connection.store_key_fingerprint = None  # the store may be connected again
            connection.webhooks.clear()
            self.session.commit()
        log.info("connection %s deleted; %d webhooks removed", connection.public_id, removal.removed)
        return removal

    def heal_webhooks(self, connection: Connection) -> list[WebhookState] | None:
        """Repair every webhook that is not active (paused, disabled, missing); leave active ones alone.

        Skipped (None) while another process registers this connection's webhooks (it is
        being created, re-keyed or deleted): that one leaves them complete.
        """
        with self.registration.held(connection.public_id, wait=False) as acquired:
            if not acquired:
                log.info("connection %s: webhooks are being registered elsewhere; not healing now", connection.public_id)
                return None
            self.release()  # re-read what the holder before us may have changed
            if connection.deleted_at is not None:
                return None
            return self._register_webhooks(connection, self.vault.decrypt(connection.secret_encrypted), refresh=False)

    def _commit_claiming_store(self, connection: Connection) -> None:
        """Commit; the unique fingerprint makes the database refuse a second connection to the store."""
        fingerprint = connection.store_key_fingerprint
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            holder = connection_with_fingerprint(self.session, fingerprint)
            if holder is None:
                raise
            raise DuplicateStore(holder) from None

    def refresh_store_facts(self, connection: Connection) -> None:
        """Read the store's facts again: its version and number of decimals change with upgrades and settings."""
        client = self.client_for(connection)
        self.release()
        with client:
            facts = connector_for(connection.external_system).store_facts(client)
        self.session.refresh(connection)  # new keys or URL saved meanwhile came with facts of their own
        if connection.api_url == client.api_url:
            connection.store = {**(connection.store or {}), **facts}

    def _set_plain_fields(self, connection: Connection, changes: dict) -> None:
        for key in ("name", "order_start", "warehouse", "company_group", "notify_url", "notify_secret_encrypted"):
            if key in changes:
                setattr(connection, key, changes[key])

    def _register_webhooks(self, connection: Connection, secret: str, *, refresh: bool) -> list[WebhookState]:
        """(Re-)register the connection's webhooks and record what the store said of each; hold the lock."""
        connector = connector_for(connection.external_system)
        url = delivery_url(self.settings.public_url, connector.system, connection.public_id)
        client = self.client_for(connection)
        self.release()
        with client:
            states = connector.register_webhooks(client, url, secret, connection.name, refresh=refresh)
        by_topic = {webhook.topic: webhook for webhook in connection.webhooks}
        for state in states:
            webhook = by_topic.get(state.topic)
            if webhook is None:
                webhook = Webhook(topic=state.topic)
                connection.webhooks.append(webhook)
            webhook.store_webhook_id = state.store_webhook_id
            webhook.status = state.status
            webhook.delivery_url = state.delivery_url
            webhook.error = state.error
        self.session.commit()
        return states

    def _set_credentials(
        self, connection: Connection, access_token: str, secret: str, verification: Verification, connector: Connector
    ) -> None:
        connection.api_url = verification.api_url
        connection.auth_mode = verification.auth_mode
        connection.store = verification.store
        connection.access_token_encrypted = self.vault.encrypt(access_token)
        connection.access_token_masked = mask_access_token(access_token)
        connection.store_key_fingerprint = store_key_fingerprint(verification.api_url, access_token, connector.system)
        connection.secret_encrypted = self.vault.encrypt(secret)

    def _remove_store_webhooks(self, connection: Connection) -> Removal:
        ids = [str(webhook.store_webhook_id) for webhook in connection.webhooks if webhook.store_webhook_id]
        if not ids:
            return Removal(removed=0, failures={})
        client = self.client_for(connection)
        self.release()
        with client:
            failures = connector_for(connection.external_system).remove_webhooks(client, ids)
        for webhook_id, reason in failures.items():
            log.warning("webhook %s of connection %s not removed: %s", webhook_id, connection.public_id, reason)
        return Removal(removed=len(ids) - len(failures), failures=failures)
