"""Telling the back office that records changed: small messages signed as Standard Webhooks.

Endpoints: the installation's (`NOTIFY_URL`, told of every connection) and any connection's
own (`notify_url`, told of that connection only). Every few seconds the clock compares the
change feed's newest position with what each endpoint was last told; when the feed moved (for
a connection's endpoint: with changes of that connection) and no notification job is pending
for the endpoint, it queues one. One job per endpoint at a time (coalesced): the job reads the
newest position when it runs, so a notification that waited, or is retried, carries every
change up to then. Ingest and polls never wait for it: they only commit, and the clock and a
worker do the rest. The message says which connections and entities changed up to which
position, never a record's data: the back office then reads the feed (`GET /api/changes`).

A failed send (no answer, or anything but a 2xx) is retried after 10 s, 1, 5, 15 and 30
minutes, 1, 2 and 4 hours (about 8 hours in all); then the job stays in the failed registry,
and the next change starts again. The state of each endpoint (last position acknowledged,
failing since, last error) is kept in Redis for `/status` and `/metrics`.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from redis import Redis
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from config import Settings, get_settings
from connections.credentials import Vault
from db.changes import changed_between, last_position
from db.models import Connection
from db.session import reading
from jobs.queues import POLLS_QUEUE, RESULT_TTL_SECONDS, SERIALIZER, queue, redis_for
from stores.transport import checked_session
from stores.urls import StoreUrlError

log = logging.getLogger(__name__)

SEND_NOTIFICATION = "jobs.notify.send_notification"
# Delays between attempts at a failing endpoint: about 8 hours in all.
RETRY_SECONDS = [10, 60, 300, 900, 1800, 3600, 7200, 14400]
# Connecting, then waiting for the answer.
TIMEOUT_SECONDS = (5.0, 10.0)
JOB_TIMEOUT_SECONDS = 60
INSTALLATION = "installation"
STATE_KEY = "storelink:notify:{endpoint}"
MESSAGE_TYPE = "records.changed"
# Job states in which a notification is still to come: no other is queued beside it.
_PENDING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


class NotificationFailed(Exception):
    """The endpoint did not acknowledge the notification; RQ tries again later."""


@dataclass(frozen=True)
class Endpoint:
    """Where notifications go: `key` names it in Redis and job ids; `connection_pk` None: every connection's changes."""

    key: str
    url: str
    secret: str = field(repr=False)
    connection_pk: int | None = None


def endpoints(settings: Settings, session: Session, *, connection_pk: int | None = None) -> list[Endpoint]:
    """The endpoints configured: the installation's (NOTIFY_URL), if set, and those of live connections
    (only `connection_pk`'s, when given)."""
    found = [Endpoint(INSTALLATION, settings.notify_url, settings.notify_secret)] if settings.notify_url else []
    query = select(Connection.id, Connection.public_id, Connection.notify_url, Connection.notify_secret_encrypted).where(
        Connection.notify_url.is_not(None), Connection.deleted_at.is_(None)
    )
    if connection_pk is not None:
        query = query.where(Connection.id == connection_pk)
    rows = session.execute(query).all()
    if rows:
        vault = Vault(settings.secret_key)
        found += [Endpoint(f"connection-{public_id}", url, vault.decrypt(secret), pk) for pk, public_id, url, secret in rows]
    return found


def job_id(endpoint: Endpoint) -> str:
    return f"storelink-notify-{endpoint.key}"


def queue_notifications(settings: Settings, redis: Redis, session: Session) -> int:
    """Queue a notification for each endpoint the feed has moved past, unless one is pending; answer how many."""
    configured = endpoints(settings, session)
    if not configured:
        return 0
    newest = last_position(session)
    queued = 0
    for endpoint in configured:
        state = read_state(redis, endpoint.key)
        after = state.get("acknowledged", 0)
        if newest <= max(after, state.get("given_up_at", 0)) or _pending(redis, endpoint):
            continue
        if endpoint.connection_pk is not None and not changed_between(session, after, newest, connection_pk=endpoint.connection_pk):
            # Nothing of this connection: nothing to tell, and nothing to look through again.
            redis.hset(STATE_KEY.format(endpoint=endpoint.key), "acknowledged", newest)
            continue
        queue(POLLS_QUEUE, redis).enqueue(
            SEND_NOTIFICATION,
            endpoint.key,
            job_id=job_id(endpoint),
            retry=Retry(max=len(RETRY_SECONDS), interval=RETRY_SECONDS),
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            description=f"notify the {endpoint.key} endpoint of changes up to the newest",
        )
        queued += 1
    return queued


def _pending(redis: Redis, endpoint: Endpoint) -> bool:
    try:
        job = Job.fetch(job_id(endpoint), connection=redis, serializer=SERIALIZER)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in _PENDING


def send_notification(endpoint_key: str) -> dict:
    """Tell one endpoint which connections and entities changed since it last acknowledged, up to the newest position."""
    settings = get_settings()
    redis = redis_for(settings)
    with reading(settings.database_url) as session:
        endpoint = next((found for found in endpoints(settings, session) if found.key == endpoint_key), None)
        if endpoint is None:
            return {"status": "no such endpoint"}
        after = read_state(redis, endpoint.key).get("acknowledged", 0)
        position = last_position(session)
        changed = changed_between(session, after, position, connection_pk=endpoint.connection_pk) if position > after else []
    if not changed:
        return {"status": "nothing new", "position": position}
    body = message(position, after, changed)
    error = deliver(settings, endpoint, f"msg_{endpoint.key}_{position}", body)
    if error is None:
        redis.hset(STATE_KEY.format(endpoint=endpoint.key), mapping={"acknowledged": position, "last_success_at": _now()})
        redis.hdel(STATE_KEY.format(endpoint=endpoint.key), "failing_since", "last_error", "given_up_at")
        redis.hincrby(STATE_KEY.format(endpoint=endpoint.key), "sent", 1)
        log.info("notified the %s endpoint of changes up to position %d", endpoint.key, position)
        return {"status": "acknowledged", "position": position}
    _record_failure(redis, endpoint, position, error)
    raise NotificationFailed(f"the {endpoint.key} endpoint did not acknowledge position {position}: {error}")


def message(position: int, after: int, changed: list[tuple[str, str]]) -> bytes:
    """The notification's body: what changed, never a record's data."""
    return json.dumps(
        {
            "type": MESSAGE_TYPE,
            "timestamp": _now(),
            "data": {
                "position": position,
                "after": after,
                "connection_ids": sorted({connection_id for connection_id, _ in changed}),
                "entities": sorted({entity for _, entity in changed}),
            },
        },
        separators=(",", ":"),
    ).encode()


def signed_headers(secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: `webhook-signature` is v1,<base64 HMAC-SHA256 of id.timestamp.body>."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body.decode()),
    }


def deliver(settings: Settings, endpoint: Endpoint, message_id: str, body: bytes) -> str | None:
    """POST the message; None when acknowledged (2xx), else why not (no redirect is followed)."""
    headers = {"Content-Type": "application/json", **signed_headers(endpoint.secret, message_id, body, datetime.now(UTC))}
    with checked_session(allow_private=settings.allow_private_notify_urls) as http:
        try:
            response = http.post(endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        except StoreUrlError:
            return "the address is not public (ALLOW_PRIVATE_NOTIFY_URLS=1 allows it)"
        except requests.RequestException as error:
            return f"no answer ({type(error).__name__})"
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def _record_failure(redis: Redis, endpoint: Endpoint, position: int, error: str) -> None:
    key = STATE_KEY.format(endpoint=endpoint.key)
    with redis.pipeline(transaction=True) as pipe:
        pipe.hsetnx(key, "failing_since", _now())
        pipe.hset(key, "last_error", error)
        pipe.hincrby(key, "failed", 1)
        job = get_current_job()
        if job is not None and not job.retries_left:
            # The last attempt: the next change starts again, not this one every few seconds.
            pipe.hset(key, "given_up_at", position)
        pipe.execute()
    log.warning("the %s endpoint did not acknowledge position %d: %s", endpoint.key, position, error)


def read_state(redis: Redis, endpoint_key: str) -> dict:
    """What is known of an endpoint: acknowledged / given_up_at (positions), sent / failed (counts), and times and error as text."""
    raw = {key.decode(): value.decode() for key, value in redis.hgetall(STATE_KEY.format(endpoint=endpoint_key)).items()}
    return {key: int(value) if key in ("acknowledged", "given_up_at", "sent", "failed") else value for key, value in raw.items()}


def notification_status(settings: Settings, redis: Redis, session: Session, connection_pk: int) -> list[dict]:
    """The installation's endpoint and the connection's own as `/status` shows them: the address (no path or
    query), what it acknowledged, whether it fails and why."""
    shown = []
    for endpoint in endpoints(settings, session, connection_pk=connection_pk):
        state = read_state(redis, endpoint.key)
        parts = urlsplit(endpoint.url)
        shown.append(
            {
                "endpoint": endpoint.key,
                "url": f"{parts.scheme}://{parts.netloc}",
                "acknowledged_position": state.get("acknowledged"),
                "last_success_at": state.get("last_success_at"),
                "failing_since": state.get("failing_since"),
                "last_error": state.get("last_error"),
                "given_up": "given_up_at" in state,
            }
        )
    return shown


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
