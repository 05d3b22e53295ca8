"""Register Storelink's webhooks on a store, and remove them.

Webhooks are matched by topic and delivery URL (which carries the connection's unguessable
id), so registering again reuses what is there instead of duplicating it.
"""

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import LockNotOwnedError, RedisError

from stores.woocommerce.client import MAX_PER_PAGE, WooCommerceClient
from stores.woocommerce.errors import StoreError

log = logging.getLogger(__name__)

TOPICS = (
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
)
RECEIVER_PATH = "/webhooks/woocommerce/{connection_id}"
# Status we record for a topic the store would not register; the error says why.
STATUS_FAILED = "failed"
# The only status in which WooCommerce delivers; any other is repaired.
STATUS_ACTIVE = "active"
# Paused by an admin (wp-admin): re-activated in place, its failure count is not the cause.
# Any other inactive status (disabled after failures, or one we do not know) is replaced,
# since WooCommerce keeps a disabled webhook's failure count when it is re-activated.
STATUS_PAUSED = "paused"
# Recorded for every topic of a new connection until its registration job has asked the store.
STATUS_REGISTERING = "registering"
# A registration lists the store's webhooks, then deletes and creates or updates one per
# topic: at most this many store calls, each bounded by the store timeout.
REGISTRATION_CALLS_AT_MOST = 2 + 2 * len(TOPICS)
LOCK_KEY = "storelink:webhook-registration:{connection_id}"


@dataclass(frozen=True)
class WebhookState:
    """What a store says of one of our webhooks (or why it could not be registered)."""

    topic: str
    store_webhook_id: str | None  # the store's id as text (WooCommerce's numbers as decimals)
    status: str
    delivery_url: str
    error: str | None = None


def registration_state(statuses: list[str]) -> str:
    """One word for a connection's webhooks as recorded: registering, failed, active or inactive."""
    for state in (STATUS_REGISTERING, STATUS_FAILED):
        if state in statuses:
            return state
    return STATUS_ACTIVE if statuses and set(statuses) == {STATUS_ACTIVE} else "inactive"


def delivery_url(public_url: str, connection_id: str) -> str:
    """Where the store delivers a connection's events."""
    return public_url.rstrip("/") + RECEIVER_PATH.format(connection_id=connection_id)


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


def list_store_webhooks(client: WooCommerceClient) -> list[dict]:
    """Every webhook on the store, page by page."""
    webhooks: list[dict] = []
    page = 1
    while True:
        response = client.get("webhooks", {"per_page": MAX_PER_PAGE, "page": page, "orderby": "id", "order": "asc"})
        batch = response.body if isinstance(response.body, list) else []
        webhooks.extend(item for item in batch if isinstance(item, dict))
        if not batch or page >= (response.total_pages or page):
            return webhooks
        page += 1


def register_webhooks(
    client: WooCommerceClient, url: str, secret: str, label: str, *, refresh: bool = True
) -> list[WebhookState]:
    """Make sure one active webhook per topic delivers to `url`, signed with `secret`.

    With `refresh`, webhooks that are there get the secret (and `active`) set again; without
    it (the health check on every poll) active ones are left alone, paused ones re-activated,
    and missing, disabled or otherwise inactive ones replaced.
    """
    existing = [hook for hook in list_store_webhooks(client) if hook.get("delivery_url") == url]
    return [_register_topic(client, topic, url, secret, label, existing, refresh) for topic in TOPICS]


def _register_topic(
    client: WooCommerceClient, topic: str, url: str, secret: str, label: str, existing: list[dict], refresh: bool
) -> WebhookState:
    matches = [hook for hook in existing if hook.get("topic") == topic]
    # Keep the oldest usable one, active before paused; duplicates (from an earlier crash, say) go.
    usable = [hook for hook in matches if hook.get("status") in (STATUS_ACTIVE, STATUS_PAUSED)]
    usable.sort(key=lambda hook: hook.get("status") != STATUS_ACTIVE)
    keep = usable[0] if usable else None
    body = {"name": f"Storelink: {label} ({topic})", "secret": secret, "status": STATUS_ACTIVE}
    try:
        for hook in matches:
            if hook is not keep:
                # A disabled webhook keeps WooCommerce's failure count; only a new one starts clean.
                client.delete(f"webhooks/{hook['id']}", params={"force": "true"})
        if keep is not None and not refresh and not needs_repair(keep):
            hook = keep
        elif keep is not None:
            # The secret cannot be read back; setting it again makes sure deliveries verify.
            # The body also re-activates a paused one.
            hook = client.put(f"webhooks/{keep['id']}", json=body).body
        else:
            hook = client.post("webhooks", json={**body, "topic": topic, "delivery_url": url}).body
    except StoreError as error:
        log.warning("registering webhook %s failed: %s", topic, error.message)
        return WebhookState(topic, store_id(keep["id"]) if keep else None, STATUS_FAILED, url, error.message)
    return WebhookState(topic, store_id(hook.get("id")), str(hook.get("status", STATUS_ACTIVE)), url)


def store_id(value: object) -> str | None:
    """A webhook id as the store wrote it, as the text Storelink keeps and compares (None stays None)."""
    return None if value is None else str(value)


def needs_repair(store_webhook: dict | None) -> bool:
    """Whether a webhook as the store lists it (None: missing) fails to deliver until repaired."""
    return store_webhook is None or store_webhook.get("status") != STATUS_ACTIVE


def remove_webhooks(client: WooCommerceClient, store_webhook_ids: list[str]) -> dict[str, str]:
    """Delete webhooks from the store; answer the ones that could not be deleted, with why."""
    failures: dict[str, str] = {}
    for webhook_id in store_webhook_ids:
        try:
            client.delete(f"webhooks/{webhook_id}", params={"force": "true"})
        except StoreError as error:
            if error.status == 404:
                continue  # already gone: that is what we wanted
            failures[webhook_id] = error.message
    return failures
