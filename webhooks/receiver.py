"""`POST /webhooks/woocommerce/<id>`: authenticate a delivery by its signature and queue it.

The order of checks is the contract: the connection (404, 410), the ping (200), the
signature over the raw bytes (401), then parsing (400); a valid delivery is appended to the
event buffer in Redis (or, while Redis is away, the database spool) and answered 202. This
path never redirects: WooCommerce counts a 3xx as delivered.
"""

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from api.errors import error_response
from db.models import Connection
from db.types import utcnow
from jobs.buffer import DUPLICATE, PUSHED_NEEDS_DRAIN, envelope, shard_of
from jobs.queues import enqueue_drain
from jobs.spool import spool_delivery
from stores.woocommerce.mapping import MappingError, deleted_id, map_order, map_product
from web.resources import get_handoff, get_redis, get_session, get_settings, get_vault
from webhooks.signature import SIGNATURE_HEADER, SignatureError, verify_signature

log = logging.getLogger(__name__)

bp = Blueprint("receiver", __name__)

# How long the receiver trusts what it read of a connection: a deletion answers 410 at most
# this much later. A signature that does not match makes it read the connection again, so a
# new secret verifies at once (and the old one keeps verifying for a day).
CONNECTION_CACHE_SECONDS = 5.0
CACHE_EXTENSION = "storelink.receiver_connections"

TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"
# WooCommerce's ping on webhook creation: form-encoded, unsigned.
PING_BODY = re.compile(rb"webhook_id=[0-9]+")
VALIDATORS = {
    ("order", "created"): map_order,
    ("order", "updated"): map_order,
    ("order", "restored"): map_order,
    ("order", "deleted"): deleted_id,
    ("product", "created"): map_product,
    ("product", "updated"): map_product,
    ("product", "restored"): map_product,
    ("product", "deleted"): deleted_id,
}


@bp.post("/webhooks/woocommerce/<connection_id>", strict_slashes=False)
def receive(connection_id: str):
    """Check, then queue one delivery."""
    try:
        connection = _known_connection(connection_id)
    except SQLAlchemyError:
        log.exception("database unavailable; delivery for %s not accepted", connection_id)
        return error_response(503, "unavailable", "the database is unavailable; the delivery was not accepted")
    if connection is None:
        return error_response(404, "not_found", "no connection with that id")
    if connection.deleted:
        return error_response(410, "gone", "this connection was deleted; disable the webhook")

    body = request.get_data(cache=False)
    signature = request.headers.get(SIGNATURE_HEADER)
    if signature is None and PING_BODY.fullmatch(body):
        return Response(status=200)
    try:
        connection = _verify(connection_id, connection, body, signature)
    except SignatureError as error:
        return error_response(401, "invalid_signature", str(error))
    except _Gone:
        return error_response(410, "gone", "this connection was deleted; disable the webhook")
    except SQLAlchemyError:
        return error_response(503, "unavailable", "the database is unavailable; the delivery was not accepted")

    topic = request.headers.get(TOPIC_HEADER, "")
    resource, _, event = topic.partition(".")
    validate = VALIDATORS.get((resource, event))
    if validate is None:
        return error_response(400, "unsupported_topic", f"topic {topic!r} is not one Storelink handles")
    try:
        # WooCommerce sends ASCII JSON; anything not UTF-8 is refused rather than re-encoded.
        text = body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error_response(400, "invalid_json", "the body is not UTF-8 JSON")
    try:
        if not isinstance(payload, dict):
            raise MappingError("payload", "must be an object")
        validate(payload)
    except MappingError as error:
        return error_response(400, "invalid_payload", str(error))

    received_at = utcnow()
    # `{"id": N}` deletions carry no modification time: the delivery id (webhook + second) tells two apart.
    delivery_id = None if "date_modified_gmt" in payload else request.headers.get(DELIVERY_ID_HEADER, "")
    digest = change_digest(resource, body, delivery_id)
    message = envelope(connection_id, resource, event, received_at.isoformat(), text)
    try:
        pushed = get_handoff().push(connection_id, digest, message)
    except RedisError:
        # WooCommerce never sends a delivery again: keep it durably rather than refuse it.
        return _spool(connection_id, resource, event, payload, received_at)
    if pushed == DUPLICATE:
        return jsonify(status="duplicate"), 202
    if pushed == PUSHED_NEEDS_DRAIN:
        _queue_drain(shard_of(connection_id))
    return jsonify(status="queued"), 202


def change_digest(resource: str, body: bytes, delivery_id: str | None = None) -> str:
    """What identifies a change: the resource and the body (which carries id and modification time)."""
    digest = hashlib.sha256(f"{resource}\n".encode() + body)
    if delivery_id is not None:
        digest.update(b"\n" + delivery_id.encode("ascii", "replace"))
    return digest.hexdigest()


def _queue_drain(shard: int) -> None:
    """Queue the job that stores the shard's events; the delivery is already safe in Redis."""
    try:
        enqueue_drain(get_redis(), shard, retry_seconds=get_settings().event_retry_seconds)
    except RedisError:
        # The drain-queued mark expires and the clock queues a drain for any shard with events.
        log.exception("could not queue a drain job for shard %d", shard)


@dataclass(frozen=True)
class _Known:
    """What the receiver needs of a connection, and until when it may trust it."""

    deleted: bool
    secrets: tuple[str, ...]
    read_at: float


class _Gone(Exception):
    """The connection turned out to be deleted."""


def _verify(connection_id: str, connection: _Known, body: bytes, signature: str | None) -> _Known:
    """Verify the signature; on a mismatch, read the connection again once (its secret may have just changed)."""
    try:
        verify_signature(body, signature, connection.secrets)
        return connection
    except SignatureError:
        fresh = _known_connection(connection_id, fresh=True)
        if fresh is not None and fresh.deleted:
            raise _Gone() from None
        if fresh is None or fresh.secrets == connection.secrets:
            raise
        verify_signature(body, signature, fresh.secrets)
        return fresh


def _known_connection(connection_id: str, *, fresh: bool = False) -> _Known | None:
    """The connection as recently read; the database is asked at most every few seconds per id."""
    cache = current_app.extensions.setdefault(CACHE_EXTENSION, {})
    known = cache.get(connection_id)
    now = time.monotonic()
    if known is not None and now - known.read_at < CONNECTION_CACHE_SECONDS and not fresh:
        return known
    row = _lookup(connection_id)
    if row is None:
        return None  # not cached: a connection created a moment later must be found at once
    known = cache[connection_id] = _Known(
        deleted=row.deleted_at is not None,
        secrets=() if row.deleted_at is not None else _secrets(row),
        read_at=now,
    )
    return known


def _lookup(connection_id: str):
    """The columns the receiver needs of a connection, or None."""
    session = get_session()
    try:
        return session.execute(
            select(
                Connection.deleted_at,
                Connection.secret_encrypted,
                Connection.previous_secret_encrypted,
                Connection.previous_secret_until,
            ).where(Connection.public_id == connection_id)
        ).first()
    finally:
        # Release the connection (and any SQLite lock) before the slower work below.
        session.rollback()


def _secrets(row) -> tuple[str, ...]:
    """The connection's secret, and the previous one during its grace period after a rotation."""
    vault = get_vault()
    secrets = [vault.decrypt(row.secret_encrypted)]
    if row.previous_secret_encrypted and row.previous_secret_until and row.previous_secret_until > utcnow():
        secrets.append(vault.decrypt(row.previous_secret_encrypted))
    return tuple(secrets)


def _spool(connection_id: str, resource: str, event: str, payload: dict, received_at: datetime):
    """Store the delivery in the database while Redis is away; 503 only if that fails too."""
    session = get_session()
    try:
        spool_delivery(session, connection_id, resource, event, payload, received_at)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("queue and database unavailable; delivery for %s not accepted", connection_id)
        return error_response(503, "unavailable", "storage is unavailable; the delivery was not accepted")
    log.warning("queue unavailable; delivery for %s spooled in the database", connection_id)
    return jsonify(status="spooled"), 202
