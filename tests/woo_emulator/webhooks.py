"""Webhooks: topics, the ping on creation, the Action Scheduler queue, deliveries and auto-disabling."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import socket
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from stores.signatures import sign

from . import orders, products
from .errors import RestError
from .phpcompat import wp_json_encode
from .store import SELF_ALLOW, WC_VERSION, WP_VERSION, Store, Urls

USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
STATUSES = ("active", "paused", "disabled")
RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
# Action topics WooCommerce refuses even though they have the right prefix.
FORBIDDEN_ACTIONS = (
    "action.woocommerce_login_credentials",
    "action.woocommerce_product_csv_importer_check_import_file_path",
    "action.woocommerce_webhook_should_deliver",
)
# The hooks each topic listens to, as WooCommerce 9.9.5 reports them.
TOPIC_HOOKS = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}
# More failures in a row than this disables a webhook (so the 7th does).
MAX_DELIVERY_FAILURES = 5
PING_TIMEOUT_SECONDS = 5
DELIVERY_TIMEOUT_SECONDS = 60
# Ports wp_safe_remote_request() allows when the store has no filters.
SAFE_PORTS = (80, 443, 8080)
# Statuses WooCommerce never sends webhooks for.
DRAFT_STATUSES = ("auto-draft", "checkout-draft", "new")
HTML_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&#x27;", "'"), ("&amp;", "&"))
PASSWORD_CHARACTERS = string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"


def is_valid_topic(topic: str) -> bool:
    """WooCommerce's topic check: resource.event, or action.woocommerce_* / action.wc_*."""
    if topic in FORBIDDEN_ACTIONS:
        return False
    if topic.startswith(("action.woocommerce_", "action.wc_")):
        return True
    parts = topic.split(".")
    return len(parts) >= 2 and parts[0] in RESOURCES and parts[1] in EVENTS


def is_valid_url(url: str) -> bool:
    """WooCommerce wc_is_valid_url(): http(s) and well formed."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for an invalid port
    except ValueError:
        return False
    return bool(parts.hostname) and not any(ch.isspace() for ch in url)


def generate_secret() -> str:
    """What WooCommerce stores when no secret is given: 50 random characters nobody can read back."""
    return "".join(secrets.choice(PASSWORD_CHARACTERS) for _ in range(50))


def _specialchars_decode(secret: str) -> str:
    """wp_specialchars_decode(..., ENT_QUOTES): WooCommerce signs with the decoded secret."""
    for entity, char in HTML_ENTITIES:
        secret = secret.replace(entity, char)
    return secret


class UnsafeUrlError(Exception):
    """wp_safe_remote_request() refused the URL (private address or odd port)."""


@dataclass
class Webhook:
    """One webhook as the store keeps it, secret and failure count included."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    created: Any
    modified: Any = None
    failure_count: int = 0
    pending_delivery: bool = True

    @property
    def resource(self) -> str:
        """"order" of "order.created"."""
        return self.topic.split(".")[0] if self.topic else ""

    @property
    def event(self) -> str:
        """"created" of "order.created"."""
        return self.topic.split(".", 1)[1] if "." in self.topic else ""

    @property
    def hooks(self) -> list[str]:
        """The WordPress actions this topic listens to."""
        if self.resource == "action":
            return [self.event]
        return list(TOPIC_HOOKS.get(self.topic, []))


@dataclass
class PingResult:
    """What came of one ping."""

    webhook_id: int
    url: str
    status: int | None
    error: Exception | None = None

    @property
    def success(self) -> bool:
        """Only an exact 200 counts."""
        return self.status == 200


@dataclass
class DeliveryResult:
    """What came of one delivery: the request sent and the answer."""

    webhook_id: int
    topic: str
    resource_id: Any
    url: str
    delivery_id: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int | None = None
    error: Exception | None = None

    @property
    def success(self) -> bool:
        """WooCommerce counts 200 to 302 as delivered."""
        return self.status is not None and 200 <= self.status <= 302


class Webhooks:
    """The store's webhooks and the queue of deliveries waiting for WP-Cron."""

    def __init__(self, store: Store, site: Callable[[], Urls], settings: Callable[[], dict[str, Any]]):
        self.store = store
        self._site = site
        self._settings = settings
        self.items: dict[int, Webhook] = {}
        self.queue: dict[tuple[int, Any], None] = {}
        self.deliveries: list[DeliveryResult] = []
        self.pings: list[PingResult] = []
        self._next_id = 1
        store.listeners.append(self.schedule)

    # -- records ---------------------------------------------------------------------------

    def get(self, webhook_id: Any) -> Webhook | None:
        """A webhook by id."""
        try:
            return self.items.get(int(webhook_id))
        except (TypeError, ValueError):
            return None

    def create(self, topic: str, delivery_url: str, secret: str | None = None, name: str | None = None,
               status: str = "active", webhook_id: int | None = None) -> Webhook:
        """Store a webhook (the caller pings it, as the REST controller does after saving)."""
        with self.store.lock:
            if webhook_id is None:
                webhook_id = self._next_id
            self._next_id = max(self._next_id, webhook_id + 1)
            now = self.store.now()
            if not name:
                local = self.store.local(now)
                stamp = time.strftime("%b %d, %Y @ %I:%M %p", time.strptime(local, "%Y-%m-%dT%H:%M:%S"))
                name = f"Webhook created on {stamp}"
            webhook = Webhook(
                id=webhook_id,
                name=name,
                status=status if status in STATUSES else "disabled",
                topic=topic if is_valid_topic(topic) else "",
                delivery_url=delivery_url,
                secret=secret or generate_secret(),
                created=now,
            )
            self.items[webhook.id] = webhook
            return webhook

    def save(self, webhook: Webhook, url_changed: bool = False) -> None:
        """Persist a change: stamps date_modified and pings again while delivery is pending."""
        with self.store.lock:
            webhook.modified = self.store.now()
            ping_again = webhook.status == "active" and (url_changed or webhook.pending_delivery)
        if ping_again:
            self.ping(webhook)

    def delete(self, webhook: Webhook) -> None:
        """Remove a webhook (queued deliveries for it then fail, as in WooCommerce)."""
        with self.store.lock:
            self.items.pop(webhook.id, None)

    def json(self, webhook: Webhook, urls: Urls) -> dict[str, Any]:
        """The /wc/v3/webhooks/<id> shape (never the secret)."""
        store = self.store
        return {
            "id": webhook.id,
            "name": webhook.name,
            "status": webhook.status,
            "topic": webhook.topic,
            "resource": webhook.resource,
            "event": webhook.event,
            "hooks": webhook.hooks,
            "delivery_url": webhook.delivery_url,
            "date_created": store.local(webhook.created),
            "date_created_gmt": store.gmt(webhook.created),
            "date_modified": store.local(webhook.modified),
            "date_modified_gmt": store.gmt(webhook.modified),
            "_links": {
                "self": [
                    {
                        "href": urls.rest(f"/wc/v3/webhooks/{webhook.id}"),
                        "targetHints": {"allow": list(SELF_ALLOW)},
                    }
                ],
                "collection": [{"href": urls.rest("/wc/v3/webhooks")}],
            },
        }

    # -- ping ------------------------------------------------------------------------------

    def ping(self, webhook: Webhook) -> PingResult:
        """POST webhook_id=N to the delivery URL, synchronously; only an exact 200 clears pending."""
        result = PingResult(webhook.id, webhook.delivery_url, None)
        settings = self._settings()
        try:
            self._check_url(webhook.delivery_url)
            with requests.Session() as session:
                session.headers.clear()
                response = session.post(
                    webhook.delivery_url,
                    data=f"webhook_id={webhook.id}".encode(),
                    headers={
                        "User-Agent": USER_AGENT,
                        "Accept": "*/*",
                        "Accept-Encoding": "deflate, gzip, br, zstd",
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Connection": "close",
                    },
                    timeout=settings["ping_timeout"],
                    verify=settings["verify"],
                )
                result.status = response.status_code
            if settings["ping_latency"] >= settings["ping_timeout"]:
                raise requests.Timeout(f"ping took {settings['ping_latency']} s")
            time.sleep(settings["ping_latency"])
        except (requests.RequestException, UnsafeUrlError) as error:
            result.error = error
        with self.store.lock:
            self.pings.append(result)
            if result.success:
                webhook.pending_delivery = False
                webhook.modified = self.store.now()
        return result

    # -- queue and delivery ----------------------------------------------------------------

    def schedule(self, resource: str, event: str, resource_id: int) -> None:
        """Queue a delivery per active webhook on this topic, at most one per (webhook, record)."""
        topic = f"{resource}.{event}"
        if self._is_draft(resource, resource_id):
            return
        for webhook in self.items.values():
            if webhook.status == "active" and webhook.topic == topic:
                self.queue.setdefault((webhook.id, resource_id), None)

    def _is_draft(self, resource: str, resource_id: int) -> bool:
        """WooCommerce sends nothing for draft orders and auto-draft products."""
        if resource == "order":
            record = self.store.orders.get(resource_id)
            return record is not None and record["status"] in DRAFT_STATUSES
        if resource == "product":
            record = self.store.products.get(resource_id)
            return record is not None and record["status"] in DRAFT_STATUSES
        return False

    @property
    def pending(self) -> list[tuple[int, Any]]:
        """(webhook id, resource id) of the deliveries waiting for the next cron run."""
        with self.store.lock:
            return list(self.queue)

    def run_cron(self) -> list[DeliveryResult]:
        """Send everything queued, oldest first; payloads are built now, from the records as they are."""
        with self.store.lock:
            due = list(self.queue)
            self.queue.clear()
        return [self._deliver(webhook_id, resource_id) for webhook_id, resource_id in due]

    def _deliver(self, webhook_id: int, resource_id: Any) -> DeliveryResult:
        """One delivery, then the failure bookkeeping."""
        settings = self._settings()
        with self.store.lock:
            webhook = self.items.get(webhook_id)
            if webhook is None:
                result = DeliveryResult(webhook_id, "", resource_id, "", _delivery_id(0))
                result.error = LookupError(f"webhook {webhook_id} was deleted before delivery")
                self.deliveries.append(result)
                return result
            body = wp_json_encode(self._payload(webhook, resource_id)).strip().encode("ascii")
            delivery_id = _delivery_id(webhook.id)
            headers = {
                "User-Agent": USER_AGENT,
                "Accept": "*/*",
                "Accept-Encoding": "deflate, gzip, br, zstd",
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": settings["home_url"] + "/",
                "X-WC-Webhook-Topic": webhook.topic,
                "X-WC-Webhook-Resource": webhook.resource,
                "X-WC-Webhook-Event": webhook.event,
                "X-WC-Webhook-Signature": sign(body, _specialchars_decode(webhook.secret)),
                "X-WC-Webhook-ID": str(webhook.id),
                "X-WC-Webhook-Delivery-ID": delivery_id,
                "Connection": "close",
            }
            result = DeliveryResult(
                webhook.id, webhook.topic, resource_id, webhook.delivery_url, delivery_id, headers, body
            )
        try:
            self._check_url(result.url)
            with requests.Session() as session:
                session.headers.clear()
                response = session.post(
                    result.url, data=body, headers=headers, timeout=settings["delivery_timeout"],
                    allow_redirects=False, verify=settings["verify"],
                )
                result.status = response.status_code
            if settings["ping_latency"] >= settings["ping_timeout"]:
                raise requests.Timeout(f"ping took {settings['ping_latency']} s")
            time.sleep(settings["ping_latency"])
        except (requests.RequestException, UnsafeUrlError) as error:
            result.error = error
        with self.store.lock:
            self.deliveries.append(result)
            if result.success:
                webhook.failure_count = 0
            elif webhook.failure_count > MAX_DELIVERY_FAILURES:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
        if webhook.id in self.items:
            self.save(webhook)
        return result

    def _payload(self, webhook: Webhook, resource_id: Any) -> Any:
        """The body as WooCommerce builds it at send time."""
        if webhook.event == "deleted":
            return {"id": resource_id}
        if webhook.resource == "action":
            return {"action": webhook.hooks[0], "arg": resource_id}
        urls = self._site()
        if webhook.resource == "order" and resource_id in self.store.orders:
            return orders.order_json(self.store, self.store.orders[resource_id], urls)
        if webhook.resource == "product" and resource_id in self.store.products:
            return products.product_json(self.store, self.store.products[resource_id], urls)
        post_type = {"order": "shop_order", "product": "product"}.get(webhook.resource, webhook.resource)
        return RestError(f"woocommerce_rest_{post_type}_invalid_id", "Invalid ID.", 404).body()

    def _check_url(self, url: str) -> None:
        """With restrict_delivery_urls on, refuse what wp_safe_remote_request() refuses."""
        settings = self._settings()
        if not settings["restrict_delivery_urls"]:
            return
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if port not in SAFE_PORTS and port != settings["store_port"]:
            raise UnsafeUrlError("A valid URL was not provided.")
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
        except OSError as error:
            raise UnsafeUrlError(f"A valid URL was not provided. ({error})") from None
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                raise UnsafeUrlError("A valid URL was not provided.")


def _delivery_id(webhook_id: int) -> str:
    """A hash of the webhook id and the current second: equal for deliveries in the same second."""
    return hashlib.md5(f"{webhook_id}{int(time.time())}".encode()).hexdigest()
