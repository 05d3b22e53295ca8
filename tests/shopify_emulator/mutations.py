"""Webhook subscriptions and bulk operations over GraphQL: the mutation root, the subscription objects.

userErrors are worded as Shopify words them for a blank, invalid or already-taken address and for
an id that does not exist; a subscription is visible only to the app that made it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .graph import Context, access_denied, parse_gid
from .rest import gid, utc_time
from .search import paginate
from .webhooks import TOPIC_SCOPES, TOPICS, Subscription

NOT_FOUND = [{"field": ["id"], "message": "Webhook subscription does not exist"}]
ADDRESS_FIELD = ["webhookSubscription", "callbackUrl"]


def subscription_node(context: Context, subscription: Subscription) -> dict[str, Any]:
    """A WebhookSubscription object."""
    version = subscription.api_version
    return {
        "__typename": "WebhookSubscription",
        "id": gid("WebhookSubscription", subscription.id), "legacyResourceId": str(subscription.id),
        "topic": subscription.topic, "uri": subscription.uri, "callbackUrl": subscription.uri,
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription.uri},
        "format": subscription.format, "filter": subscription.filter,
        "includeFields": subscription.include_fields, "metafieldNamespaces": [], "name": subscription.name,
        "apiVersion": {"handle": version, "displayName": version,
                       "supported": version in context.emulator.supported_versions},
        "createdAt": utc_time(subscription.created_at), "updatedAt": utc_time(subscription.updated_at),
    }


def subscriptions_connection(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """webhookSubscriptions(first, after, topics, uri, ...) of the asking app."""
    chosen = [
        s for s in context.emulator.webhooks.for_app(context.app.id)
        if (not args.get("topics") or s.topic in args["topics"]) and (not args.get("uri") or s.uri == args["uri"])
        and (not args.get("format") or s.format == args["format"])
    ]
    key = (lambda s: s.id) if args.get("sortKey") == "ID" else (lambda s: s.created_at)
    records = [{"id": s.id, "subscription": s} for s in chosen]
    return paginate(records, lambda r: key(r["subscription"]),
                    lambda r: subscription_node(context, r["subscription"]), args)


def other_node(context: Context, kind: str, record_id: int) -> dict[str, Any] | None:
    """WebhookSubscription and BulkOperation nodes (the app's own only)."""
    if kind == "WebhookSubscription":
        subscription = context.emulator.webhooks.subscriptions.get(record_id)
        if subscription is None or subscription.app_id != context.app.id:
            return None
        return subscription_node(context, subscription)
    if kind == "BulkOperation":
        return context.emulator.bulk.get(context, record_id)
    return None


def _address_error(context: Context, uri: str | None) -> str | None:
    """Shopify's complaint about a delivery address, or None."""
    if not uri:
        return "Address can't be blank"
    if uri.startswith(("pubsub://", "arn:aws:events:")):
        return None
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Address is invalid"
    if parts.scheme == "http" and context.emulator.require_https_uri:
        return "Address protocol http:// is not supported"
    return None


def _create(context: Context, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    emulator = context.emulator
    scope = TOPIC_SCOPES.get(TOPICS[topic].split("/")[0])
    if scope and not context.app.has_scope(scope):
        raise access_denied("webhookSubscriptionCreate", scope)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    problem = _address_error(context, uri)
    if problem is None and any(s.topic == topic and s.uri == uri for s in emulator.webhooks.for_app(context.app.id)):
        problem = "Address for this topic has already been taken"
    if problem:
        return {"webhookSubscription": None, "userErrors": [{"field": ADDRESS_FIELD, "message": problem}]}
    subscription = emulator.webhooks.add(
        context.app.id, topic, uri, api_version=emulator.webhook_api_version,
        format=webhookSubscription.get("format") or "JSON",
        include_fields=list(webhookSubscription.get("includeFields") or []),
        filter=webhookSubscription.get("filter"), name=webhookSubscription.get("name"),
    )
    return {"webhookSubscription": subscription_node(context, subscription), "userErrors": []}


def _owned(context: Context, id: str) -> Subscription | None:
    kind, record_id = parse_gid(id)
    subscription = context.emulator.webhooks.subscriptions.get(record_id) if kind == "WebhookSubscription" else None
    return subscription if subscription is not None and subscription.app_id == context.app.id else None


def _update(context: Context, id: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    subscription = _owned(context, id)
    if subscription is None:
        return {"webhookSubscription": None, "userErrors": NOT_FOUND}
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if uri is not None:
        problem = _address_error(context, uri)
        if problem:
            return {"webhookSubscription": None, "userErrors": [{"field": ADDRESS_FIELD, "message": problem}]}
        subscription.uri = uri
    for key, attribute in (("format", "format"), ("filter", "filter"), ("name", "name"),
                           ("includeFields", "include_fields")):
        if webhookSubscription.get(key) is not None:
            setattr(subscription, attribute, webhookSubscription[key])
    subscription.updated_at = context.emulator.store.now()
    return {"webhookSubscription": subscription_node(context, subscription), "userErrors": []}


def _delete(context: Context, id: str) -> dict[str, Any]:
    subscription = _owned(context, id)
    if subscription is None:
        return {"deletedWebhookSubscriptionId": None, "userErrors": NOT_FOUND}
    context.emulator.webhooks.remove(subscription.id)
    return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", subscription.id), "userErrors": []}


def mutation_root(context: Context) -> dict[str, Any]:
    """The root value for mutations."""
    bulk = context.emulator.bulk
    return {
        "webhookSubscriptionCreate": lambda info, **args: _create(context, **args),
        "webhookSubscriptionUpdate": lambda info, **args: _update(context, **args),
        "webhookSubscriptionDelete": lambda info, **args: _delete(context, **args),
        "bulkOperationRunQuery": lambda info, query, groupObjects=True: bulk.run_query(context, query),
        "bulkOperationCancel": lambda info, id: bulk.cancel(context, parse_gid(id)[1]),
    }
