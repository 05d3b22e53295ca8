"""`POST /webhooks/<system>/<id>`: authenticate a delivery by its signature and queue it.

The order of checks is the contract: the system and the connection (404, 410), the body's
size (413), the ping (200), the signature over the raw bytes (401), then parsing (400); a
valid delivery is appended to the event buffer in Redis (or, while Redis is away, the
database spool) and answered 202. This path never redirects: a store may count a 3xx as
delivered. The system's connector (`stores.connector.Deliveries`) names the headers and
says what a ping, a valid signature, a topic and a valid body are.

The receiver is a plain WSGI application in front of the Flask app (which serves every other
path). Stores deliver far more requests than anything else here, and Flask's request cycle
(contexts, routing, response objects) cost about a sixth of the receiver's throughput under
load; this route needs none of it. Its answers keep the service's JSON error shape.
"""

import hashlib
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from config import Settings
from connections.credentials import Vault
from db.ids import is_public_id
from db.session import get_sessionmaker
from db.types import utcnow
from jobs.buffer import DUPLICATE, PUSHED_NEEDS_DRAIN, envelope, shard_of
from jobs.push import PushConnection
from jobs.queues import WEB_REDIS_TIMEOUT_SECONDS, enqueue_drain, redis_for
from jobs.spool import spool_delivery
from stores.connector import Deliveries
from stores.errors import MappingError, SignatureError
from stores.registry import connector_for, is_known
from webhooks.handoff import GroupPush
from webhooks.known_connections import ConnectionDirectory, KnownConnection
from webhooks.tally import DeliveryTally
from webhooks.wsgi import (
    CRASHED,
    DATABASE_UNAVAILABLE,
    DUPLICATE_REPLY,
    GONE,
    INVALID_JSON,
    NOT_COUNTED_HERE,
    NOT_FOUND,
    NOT_POST,
    PING,
    QUEUED,
    SPOOLED,
    STATUS_LINES,
    STORAGE_UNAVAILABLE,
    Reply,
    environ_key,
    read_body,
)

log = logging.getLogger(__name__)

# Where the receiver is found in `app.extensions`.
EXTENSION = "storelink.receiver"
PATH = re.compile(r"/webhooks/(?P<system>[^/]+)/(?P<connection_id>[^/]+)/?")
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class _Gone(Exception):
    """The connection turned out to be deleted."""


class Receiver:
    """The receiver route as WSGI middleware: its path is answered here, any other goes to `app`."""

    def __init__(self, app: WSGIApp, settings: Settings, vault: Vault):
        self.app = app
        self.settings = settings
        self.too_large = Reply.error(413, "payload_too_large", f"deliveries are limited to {settings.max_webhook_bytes} bytes")
        self.connections = ConnectionDirectory(settings.database_url, vault)
        self._handoff: GroupPush | None = None
        self._handoff_lock = threading.Lock()
        self._specs: dict[str, tuple[Deliveries, str, str]] = {}
        # The rare outcomes, counted in the process: no Redis call per 404 in a flood of them.
        self.tally = DeliveryTally(self._redis)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        try:
            if not is_known(match["system"]):
                reply, headers = NOT_FOUND, []  # as an unknown connection: the path names nothing
            elif environ.get("REQUEST_METHOD") != "POST":
                reply, headers = NOT_POST, [("Allow", "POST")]
            else:
                reply, headers = self.receive(environ, match["system"], match["connection_id"]), []
        except Exception:
            log.exception("unhandled error in the receiver")
            reply, headers = CRASHED, []
        if reply.outcome not in NOT_COUNTED_HERE:  # the rare outcomes; the push script counts the others
            self.tally.add(reply.outcome)
        if reply.body:
            headers += [("Content-Type", "application/json"), ("Content-Length", str(len(reply.body)))]
        else:
            headers.append(("Content-Length", "0"))
        start_response(STATUS_LINES[reply.status], headers)
        return [reply.body]

    # -- the checks, in the contract's order ---------------------------------------------

    def receive(self, environ: dict, system: str, connection_id: str) -> Reply:
        """Check, then queue one delivery to `system`'s path."""
        if not is_public_id(connection_id):
            return NOT_FOUND
        try:
            connection = self.connections.get(connection_id)
        except SQLAlchemyError:
            log.exception("database unavailable; delivery for %s not accepted", connection_id)
            return DATABASE_UNAVAILABLE
        if connection is None or connection.system != system:
            return NOT_FOUND
        if connection.deleted:
            return GONE

        body = read_body(environ, self.settings.max_webhook_bytes)
        if body is None:
            return self.too_large
        deliveries, signature_key, topic_key = self._spec(system)
        signature = environ.get(signature_key)
        if deliveries.is_ping(body, signature):
            return PING
        try:
            self._verify(deliveries, connection_id, connection, body, signature)
        except SignatureError as error:
            return Reply.error(401, "invalid_signature", str(error))
        except _Gone:
            return GONE
        except SQLAlchemyError:
            return DATABASE_UNAVAILABLE

        header = environ.get(topic_key, "")
        topic = deliveries.topic(header)
        if topic is None:
            return Reply.error(400, "unsupported_topic", f"topic {header!r} is not one Storelink handles")
        resource, event = topic.resource, topic.event
        try:
            # Bodies are JSON in UTF-8; anything else is refused rather than re-encoded.
            text = body.decode("utf-8")
            timed = deliveries.check(topic, body)  # the mapper's rules: the drain will map it
        except MappingError as error:
            return Reply.error(400, "invalid_payload", str(error))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return INVALID_JSON

        received_at = utcnow()
        digest = change_digest(resource, body) if timed else untimed_digest()
        message = envelope(connection_id, resource, event, received_at.isoformat(), text)
        try:
            pushed = self._handoff_for_process().push(connection_id, digest, message)
        except RedisError:
            # A store may never send a delivery again: keep it durably rather than refuse it.
            return self._spool(connection_id, resource, event, json.loads(text), received_at)
        if pushed == DUPLICATE:
            return DUPLICATE_REPLY
        if pushed == PUSHED_NEEDS_DRAIN:
            self._queue_drain(shard_of(connection_id))
        return QUEUED

    def _spec(self, system: str) -> tuple[Deliveries, str, str]:
        """The system's deliveries and the WSGI environ keys of its signature and topic headers."""
        spec = self._specs.get(system)
        if spec is None:
            deliveries = connector_for(system).deliveries
            spec = self._specs[system] = (
                deliveries, environ_key(deliveries.signature_header), environ_key(deliveries.topic_header)
            )
        return spec

    def _verify(
        self, deliveries: Deliveries, connection_id: str, connection: KnownConnection, body: bytes, signature: str | None
    ) -> KnownConnection:
        """Verify the signature; on a mismatch, read the connection again once (its secret may have just changed)."""
        try:
            deliveries.verify_signature(body, signature, connection.secrets)
            return connection
        except SignatureError:
            fresh = self.connections.get(connection_id, fresh=True)
            if fresh is not None and fresh.deleted:
                raise _Gone() from None
            if fresh is None or fresh.secrets == connection.secrets:
                raise
            deliveries.verify_signature(body, signature, fresh.secrets)
            return fresh

    # -- the hand-off ---------------------------------------------------------------------

    def _handoff_for_process(self) -> GroupPush:
        """One hand-off per process, shared by its request threads (made on first use, after any fork)."""
        if self._handoff is None:
            with self._handoff_lock:  # the first deliveries may arrive together: make exactly one
                if self._handoff is None:
                    self._handoff = GroupPush(self.tally.riding(PushConnection(self._redis()).push_many))
        return self._handoff

    def _redis(self):
        """The web process's Redis client: it gives up quickly, so a stalled Redis makes deliveries spool."""
        return redis_for(self.settings, timeout=WEB_REDIS_TIMEOUT_SECONDS)

    def _queue_drain(self, shard: int) -> None:
        """Queue the job that stores the shard's events; the delivery is already safe in Redis."""
        try:
            enqueue_drain(self._redis(), shard, retry_seconds=self.settings.event_retry_seconds)
        except RedisError:
            # The drain-queued mark expires and the clock queues a drain for any shard with events.
            log.exception("could not queue a drain job for shard %d", shard)

    def _spool(self, connection_id: str, resource: str, event: str, payload: dict, received_at: datetime) -> Reply:
        """Store the delivery in the database while Redis is away; 503 only if that fails too."""
        try:
            with get_sessionmaker(self.settings.database_url)() as session, session.begin():
                spool_delivery(session, connection_id, resource, event, payload, received_at)
        except SQLAlchemyError:
            log.exception("queue and database unavailable; delivery for %s not accepted", connection_id)
            return STORAGE_UNAVAILABLE
        log.warning("queue unavailable; delivery for %s spooled in the database", connection_id)
        return SPOOLED


def change_digest(resource: str, body: bytes) -> str:
    """What identifies a change: the resource and the body (which carries id and modification time)."""
    return hashlib.sha256(f"{resource}\n".encode() + body).hexdigest()


def untimed_digest() -> str:
    """A key no other delivery has, for a body without a modification time (`{"id": N}`).

    Such bodies are alike for every trashing of a record, and the delivery id that tells
    them apart is not signed: none is dropped as a duplicate. Each only asks the store about
    the record (coalesced per record), so a replay costs a read, never a change.
    """
    return secrets.token_hex(16)


def init_app(app, settings: Settings, vault: Vault) -> Receiver:
    """Put the receiver in front of `app` (a Flask app) for the receiver's path."""
    receiver = Receiver(app.wsgi_app, settings, vault)
    app.wsgi_app = receiver
    app.extensions[EXTENSION] = receiver
    return receiver

