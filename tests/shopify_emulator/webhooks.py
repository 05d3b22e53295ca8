"""Webhook subscriptions and their deliveries: signed REST-style payloads, retries, removal, duplicates.

Payloads are built when the event happens and resent unchanged on retry. A failed delivery is
retried after each of `retry_delays` (seconds of the emulator's clock); after
`max_consecutive_failures` failures in a row the subscription is deleted, as Shopify deletes
API-made subscriptions after 8. Deliveries go out from a background thread, or only when a test
calls `deliver_pending()` (`auto_deliver=False`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

# GraphQL topic -> the REST-style name deliveries carry in X-Shopify-Topic.
TOPICS = {
    "APP_UNINSTALLED": "app/uninstalled", "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "ORDERS_CANCELLED": "orders/cancelled", "ORDERS_CREATE": "orders/create", "ORDERS_DELETE": "orders/delete",
    "ORDERS_EDITED": "orders/edited", "ORDERS_FULFILLED": "orders/fulfilled", "ORDERS_PAID": "orders/paid",
    "ORDERS_UPDATED": "orders/updated", "PRODUCTS_CREATE": "products/create", "PRODUCTS_DELETE": "products/delete",
    "PRODUCTS_UPDATE": "products/update",
}
# Scope an app needs to subscribe to a topic's resource.
TOPIC_SCOPES = {"orders": "read_orders", "products": "read_products"}
# Shopify: 8 retries over about 4 hours, backing off.
RETRY_DELAYS = (60, 180, 420, 900, 1800, 2700, 3600, 4740)
MAX_CONSECUTIVE_FAILURES = 8
CONNECT_TIMEOUT_SECONDS = 1
DELIVERY_TIMEOUT_SECONDS = 5
USER_AGENT = "Shopify-Captain-Hook"


def sign(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body keyed with the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Subscription:
    """One webhook subscription, made by an app through the Admin API."""

    id: int
    app_id: int
    topic: str
    uri: str
    created_at: int
    api_version: str
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    name: str | None = None
    updated_at: int = 0
    consecutive_failures: int = 0


@dataclass
class Delivery:
    """A delivery waiting to go out (again)."""

    subscription_id: int
    topic: str
    url: str
    body: bytes
    headers: dict[str, str]
    due_at: float
    attempt: int = 1
    duplicate: bool = False


@dataclass
class DeliveryResult:
    """What came of one attempt."""

    subscription_id: int
    topic: str
    url: str
    headers: dict[str, str]
    body: bytes
    attempt: int
    duplicate: bool = False
    status: int | None = None
    error: Exception | None = None

    @property
    def success(self) -> bool:
        """Only a 2xx answer counts (redirects are not followed)."""
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)


class Webhooks:
    """The shop's subscriptions, its delivery queue and the thread that sends it."""

    def __init__(self, clock: Callable[[], float], settings: Callable[[], dict[str, Any]]):
        self.clock = clock
        self._settings = settings
        self.lock = threading.RLock()
        self.subscriptions: dict[int, Subscription] = {}
        self.queue: list[Delivery] = []
        self.deliveries: list[DeliveryResult] = []
        self.removed: list[Subscription] = []
        self.random = random.Random(0)
        self._next_id = 1_234_567_001
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscriptions --------------------------------------------------------------------

    def add(self, app_id: int, topic: str, uri: str, **fields: Any) -> Subscription:
        with self.lock:
            now = int(self.clock())
            subscription = Subscription(self._next_id, app_id, topic, uri, now, updated_at=now, **fields)
            self._next_id += 1
            self.subscriptions[subscription.id] = subscription
            return subscription

    def remove(self, subscription_id: int, drop_queued: bool = True) -> Subscription | None:
        """Delete a subscription and (unless told otherwise) whatever it still had queued."""
        with self.lock:
            subscription = self.subscriptions.pop(subscription_id, None)
            if drop_queued:
                self.queue = [d for d in self.queue if d.subscription_id != subscription_id]
            return subscription

    def for_app(self, app_id: int) -> list[Subscription]:
        with self.lock:
            return [s for s in self.subscriptions.values() if s.app_id == app_id]

    # -- events ---------------------------------------------------------------------------

    def event(self, rest_topic: str, payload: dict[str, Any], apps: dict[int, Any], only_app: int | None = None) -> None:
        """Queue a delivery per subscription on this topic whose app is installed and may read it
        (`only_app`: the one app an event concerns, as app/uninstalled)."""
        settings = self._settings()
        now = self.clock()
        triggered = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        event_id = str(uuid.uuid4())
        with self.lock:
            for subscription in list(self.subscriptions.values()):
                app = apps.get(subscription.app_id)
                if TOPICS.get(subscription.topic) != rest_topic or app is None or only_app not in (None, app.id):
                    continue
                if rest_topic != "app/uninstalled" and not app.installed:
                    continue
                scope = TOPIC_SCOPES.get(rest_topic.split("/")[0])
                if scope and not app.has_scope(scope):
                    continue
                shaped = payload
                if subscription.include_fields:
                    shaped = {k: v for k, v in payload.items() if k in subscription.include_fields}
                body = json.dumps(shaped, separators=(",", ":"), ensure_ascii=False).encode()
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "X-Shopify-Topic": rest_topic,
                    "X-Shopify-Hmac-Sha256": sign(body, app.secret),
                    "X-Shopify-Shop-Domain": settings["domain"],
                    "X-Shopify-API-Version": subscription.api_version,
                    "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                    "X-Shopify-Event-Id": event_id,
                    "X-Shopify-Triggered-At": triggered,
                }
                if subscription.name:
                    headers["X-Shopify-Name"] = subscription.name
                self.queue.append(Delivery(subscription.id, rest_topic, subscription.uri, body, headers, now))
        self._wake.set()

    # -- delivery -------------------------------------------------------------------------

    @property
    def pending(self) -> list[Delivery]:
        with self.lock:
            return list(self.queue)

    def deliver_due(self) -> list[DeliveryResult]:
        """Send every delivery that is due by the emulator's clock, oldest first."""
        now = self.clock()
        with self.lock:
            due = [d for d in self.queue if d.due_at <= now]
            self.queue = [d for d in self.queue if d.due_at > now]
        return [self._send(delivery) for delivery in due]

    def _send(self, delivery: Delivery) -> DeliveryResult:
        settings = self._settings()
        result = DeliveryResult(delivery.subscription_id, delivery.topic, delivery.url, dict(delivery.headers),
                                delivery.body, delivery.attempt, delivery.duplicate)
        try:
            with requests.Session() as session:
                response = session.post(
                    delivery.url, data=delivery.body, headers=delivery.headers, allow_redirects=False,
                    timeout=(settings["connect_timeout"], settings["delivery_timeout"]), verify=settings["verify"],
                )
                result.status = response.status_code
        except requests.RequestException as error:
            result.error = error
        with self.lock:
            self.deliveries.append(result)
            subscription = self.subscriptions.get(delivery.subscription_id)
            if subscription is None:
                return result
            if result.success:
                subscription.consecutive_failures = 0
                if not delivery.duplicate and self.random.random() < settings["duplicate_probability"]:
                    self.queue.append(Delivery(**{**delivery.__dict__, "duplicate": True, "due_at": self.clock()}))
                return result
            subscription.consecutive_failures += 1
            if subscription.consecutive_failures >= settings["max_consecutive_failures"]:
                self.remove(subscription.id)
                self.removed.append(subscription)
                return result
            delays = settings["retry_delays"]
            if delivery.attempt <= len(delays):
                due = self.clock() + delays[delivery.attempt - 1]
                self.queue.append(Delivery(**{**delivery.__dict__, "attempt": delivery.attempt + 1, "due_at": due}))
        return result

    # -- the background sender ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="shopify-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.05)
            self._wake.clear()
            if self._settings()["auto_deliver"] and not self._stop.is_set():
                self.deliver_due()
