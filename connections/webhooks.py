"""Storelink's side of a connection's webhooks, whatever the system: statuses, delivery URLs, one registration at a time.

The store's side (registering, listing, removing) is the connector's (`stores.connector`).
"""

import contextlib
import logging
from collections.abc import Iterator

from redis import Redis
from redis.exceptions import LockNotOwnedError, RedisError

from stores.connector import WEBHOOK_ACTIVE, WEBHOOK_FAILED

log = logging.getLogger(__name__)

# Where stores deliver: one path per system, the connection's unguessable id last.
RECEIVER_PATH = "/webhooks/{system}/{connection_id}"
# The only status in which a store delivers.
STATUS_ACTIVE = WEBHOOK_ACTIVE
# Status we record for a topic the store would not register; the error says why.
STATUS_FAILED = WEBHOOK_FAILED
# Recorded for every topic of a new connection until its registration job has asked the store.
STATUS_REGISTERING = "registering"
# The most topics any connector registers; the lock's expiry is sized for them.
TOPICS_AT_MOST = 8
# A registration lists the store's webhooks, then deletes and creates or updates one per
# topic: at most this many store calls, each bounded by the store timeout.
REGISTRATION_CALLS_AT_MOST = 2 + 2 * TOPICS_AT_MOST
LOCK_KEY = "storelink:webhook-registration:{connection_id}"


def registration_state(statuses: list[str]) -> str:
    """One word for a connection's webhooks as recorded: registering, failed, active or inactive."""
    for state in (STATUS_REGISTERING, STATUS_FAILED):
        if state in statuses:
            return state
    return STATUS_ACTIVE if statuses and set(statuses) == {STATUS_ACTIVE} else "inactive"


def delivery_url(public_url: str, system: str, connection_id: str) -> str:
    """Where the store delivers a connection's events."""
    return public_url.rstrip("/") + RECEIVER_PATH.format(system=system, connection_id=connection_id)


class RegistrationLock:
    """One registration of a connection's webhooks at a time, across every process.

    Registering lists what the store has and then adds what is missing; two of those at
    once (a connection being created while its first poll heals webhooks, say) would
    each add the same topics and the store would deliver every event twice.
    """

    def __init__(self, redis: Redis, store_timeout_seconds: float):
        self.redis = redis
        # Held at most as long as a registration can take; a crashed holder frees it then.
        self.expiry_seconds = REGISTRATION_CALLS_AT_MOST * store_timeout_seconds

    @contextlib.contextmanager
    def held(self, connection_id: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the connection's lock while the block runs; yield whether it is held.

        Without `wait`, yield False at once when another holds it (the caller skips its
        work). With `wait`, the block always runs: once the holder is done, or, should the
        lock stay taken past its expiry or Redis be away, without the lock. That is safe:
        a duplicate left by two registrations at once is deleted by the next one (which
        keeps the oldest webhook per topic), and no admin operation waits on Redis.
        """
        lock = self.redis.lock(
            LOCK_KEY.format(connection_id=connection_id),
            timeout=self.expiry_seconds,
            blocking_timeout=self.expiry_seconds,
        )
        try:
            acquired = lock.acquire(blocking=wait)
        except RedisError as error:
            log.warning("webhook registration lock of %s unavailable: %s", connection_id, error)
            acquired = False
        if wait and not acquired:
            log.warning("webhook registration of %s goes ahead without the lock", connection_id)
        try:
            yield acquired
        finally:
            if acquired:
                try:
                    lock.release()
                except LockNotOwnedError:
                    log.warning("webhook registration of %s outlasted its lock (%.0f s)", connection_id, self.expiry_seconds)
                except RedisError as error:  # it expires by itself
                    log.warning("webhook registration lock of %s not released: %s", connection_id, error)
