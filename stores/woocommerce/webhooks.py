"""Register Storelink's webhooks on a WooCommerce store, list them, and remove them.

Webhooks are matched by topic and delivery URL (which carries the connection's unguessable
id), so registering again reuses what is there instead of duplicating it.
"""

import logging

from stores.connector import WEBHOOK_ACTIVE, WEBHOOK_FAILED, WebhookState
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
# The only status in which WooCommerce delivers; any other is repaired.
STATUS_ACTIVE = WEBHOOK_ACTIVE
# Paused by an admin (wp-admin): re-activated in place, its failure count is not the cause.
# Any other inactive status (disabled after failures, or one we do not know) is replaced,
# since WooCommerce keeps a disabled webhook's failure count when it is re-activated.
STATUS_PAUSED = "paused"


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
        if keep is not None and not refresh and not needs_repair(keep.get("status")):
            hook = keep
        elif keep is not None:
            # The secret cannot be read back; setting it again makes sure deliveries verify.
            # The body also re-activates a paused one.
            hook = client.put(f"webhooks/{keep['id']}", json=body).body
        else:
            hook = client.post("webhooks", json={**body, "topic": topic, "delivery_url": url}).body
    except StoreError as error:
        log.warning("registering webhook %s failed: %s", topic, error.message)
        return WebhookState(topic, webhook_id(keep), WEBHOOK_FAILED, url, error.message)
    return WebhookState(topic, webhook_id(hook), str(hook.get("status", STATUS_ACTIVE)), url)


def webhook_id(hook: dict | None) -> str | None:
    """A webhook's id as Storelink keeps store ids: WooCommerce's JSON has an integer."""
    value = hook.get("id") if hook else None
    return None if value is None else str(value)


def webhooks_on_store(client: WooCommerceClient) -> dict[str, str | None]:
    """Every webhook on the store: its status (as the store wrote it) by its id."""
    return {webhook_id(hook): hook.get("status") for hook in list_store_webhooks(client) if hook.get("id") is not None}


def needs_repair(status: str | None) -> bool:
    """Whether a webhook with this status on the store (None: missing) fails to deliver until repaired."""
    return status != STATUS_ACTIVE


def remove_webhooks(client: WooCommerceClient, store_webhook_ids: list[str]) -> dict[str, str]:
    """Delete webhooks from the store; answer the ones that could not be deleted, with why."""
    failures: dict[str, str] = {}
    for webhook_id_ in store_webhook_ids:
        try:
            client.delete(f"webhooks/{webhook_id_}", params={"force": "true"})
        except StoreError as error:
            if error.status == 404:
                continue  # already gone: that is what we wanted
            failures[webhook_id_] = error.message
    return failures
