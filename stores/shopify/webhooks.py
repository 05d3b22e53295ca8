"""Storelink's webhook subscriptions on a Shopify shop: register, list, heal and remove them.

Shop-specific subscriptions made with `webhookSubscriptionCreate` (JSON payloads), matched by
topic and address (which carries the connection's unguessable id), so registering again
never duplicates. Shopify has no status for a subscription: it delivers while it exists and
deletes it after 8 failed deliveries in a row, so a missing one is re-created. Ids are the
subscriptions' GIDs (`gid://shopify/WebhookSubscription/…`).
"""

import logging

from stores.connector import WEBHOOK_ACTIVE, WEBHOOK_FAILED, WebhookState
from stores.errors import StoreError

log = logging.getLogger(__name__)

# GraphQL topics (WebhookSubscriptionTopic); deliveries name them the REST way (deliveries.py).
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_DELETE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "APP_UNINSTALLED",
)
PAGE_SIZE = 250
LIST_QUERY = """
query Subscriptions($after: String) {
  webhookSubscriptions(first: 250, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}"""
CREATE_MUTATION = """
mutation Create($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
UPDATE_MUTATION = """
mutation Update($id: ID!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
DELETE_MUTATION = """
mutation Delete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}"""


class _Refused(Exception):
    """Shopify answered userErrors for one subscription."""


def list_subscriptions(client) -> list[dict]:
    """Every subscription the app has on the shop, page by page."""
    subscriptions: list[dict] = []
    after = None
    while True:
        connection = client.graphql(LIST_QUERY, {"after": after}).get("webhookSubscriptions") or {}
        subscriptions.extend(node for node in connection.get("nodes") or [] if isinstance(node, dict) and node.get("id"))
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            return subscriptions
        after = page["endCursor"]


def register_webhooks(client, url: str, secret: str, name: str, *, refresh: bool = True) -> list[WebhookState]:
    """Make sure one subscription per topic delivers to `url` (Shopify signs them with the app's secret).

    With `refresh`, subscriptions that are there get their address and format set again;
    without it (the health check on every poll) they are left alone and missing ones made.
    """
    existing = [node for node in list_subscriptions(client) if node.get("uri") == url]
    return [_register_topic(client, topic, url, existing, refresh) for topic in TOPICS]


def _register_topic(client, topic: str, url: str, existing: list[dict], refresh: bool) -> WebhookState:
    matches = [node for node in existing if node.get("topic") == topic]
    keep = matches[0] if matches else None
    subscription = {"uri": url, "format": "JSON"}
    try:
        for duplicate in matches[1:]:  # from an earlier crash, say: one delivery per change is enough
            _delete(client, duplicate["id"])
        if keep is not None and refresh:
            keep = _answer(client.graphql(UPDATE_MUTATION, {"id": keep["id"], "subscription": subscription}),
                           "webhookSubscriptionUpdate")
        elif keep is None:
            keep = _answer(client.graphql(CREATE_MUTATION, {"topic": topic, "subscription": subscription}),
                           "webhookSubscriptionCreate")
    except (StoreError, _Refused) as error:
        message = error.message if isinstance(error, StoreError) else str(error)
        log.warning("registering webhook %s failed: %s", topic, message)
        return WebhookState(topic, keep.get("id") if keep else None, WEBHOOK_FAILED, url, message)
    return WebhookState(topic, str(keep["id"]), WEBHOOK_ACTIVE, url)


def _answer(data: dict, mutation: str) -> dict:
    payload = data.get(mutation) or {}
    problems = [str(error.get("message")) for error in payload.get("userErrors") or [] if isinstance(error, dict)]
    if problems:
        raise _Refused("; ".join(problems)[:300])
    node = payload.get("webhookSubscription")
    if not isinstance(node, dict) or not node.get("id"):
        raise _Refused(f"Shopify answered {mutation} without a subscription")
    return node


def webhooks_on_store(client) -> dict[str, str]:
    """Every subscription of the app: each exists, so each is active."""
    return {str(node["id"]): WEBHOOK_ACTIVE for node in list_subscriptions(client)}


def needs_repair(status: str | None) -> bool:
    """Whether a subscription (None: missing, as after 8 failed deliveries) must be made again."""
    return status != WEBHOOK_ACTIVE


def remove_webhooks(client, store_webhook_ids: list[str]) -> dict[str, str]:
    """Delete subscriptions; answer the ones that could not be deleted, with why (one already gone counts as deleted)."""
    failures: dict[str, str] = {}
    for subscription_id in store_webhook_ids:
        try:
            _delete(client, subscription_id)
        except StoreError as error:
            failures[subscription_id] = error.message
        except _Refused as refused:
            if "not exist" not in str(refused).lower() and "not found" not in str(refused).lower():
                failures[subscription_id] = str(refused)
    return failures


def _delete(client, subscription_id: str) -> None:
    payload = client.graphql(DELETE_MUTATION, {"id": subscription_id}).get("webhookSubscriptionDelete") or {}
    problems = [str(error.get("message")) for error in payload.get("userErrors") or [] if isinstance(error, dict)]
    if problems:
        raise _Refused("; ".join(problems)[:300])
