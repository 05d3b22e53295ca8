"""How Shopify delivers webhooks: its headers, its topics and the check each body must pass.

Shopify signs the raw body with the app's secret (the API secret key, or a Dev Dashboard
app's Client secret): base64 HMAC-SHA256 in `X-Shopify-Hmac-Sha256`. It sends no ping. The
topic header is not signed: it picks the mapper that must accept the body and never decides
a deletion alone (`jobs.refresh` asks the shop). `app/uninstalled` is the resource `app`
deleted: the connection needs attention.
"""

import json
from datetime import UTC, datetime

from stores import signatures
from stores.connector import APP, Deliveries, Topic
from stores.errors import MappingError
from stores.shopify.mapping import deleted_id, map_order, map_product, variants_of

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
# The field whose presence says a body carries its record's modification time.
MODIFIED_FIELD = "updated_at"
TOPICS = {
    "orders/create": Topic("order", "created"),
    "orders/updated": Topic("order", "updated"),
    "orders/delete": Topic("order", "deleted"),
    "products/create": Topic("product", "created"),
    "products/update": Topic("product", "updated"),
    "products/delete": Topic("product", "deleted"),
    "app/uninstalled": Topic(APP, "deleted"),
}


class ShopifyDeliveries(Deliveries):
    """The receiver's view of Shopify webhooks."""

    signature_header = SIGNATURE_HEADER
    topic_header = TOPIC_HEADER

    def is_ping(self, body: bytes, signature: str | None) -> bool:
        return False  # Shopify sends no test delivery: every request must be signed

    def verify_signature(self, body: bytes, signature: str | None, secrets: tuple[str, ...]) -> None:
        signatures.verify_signature(body, signature, secrets)

    def topic(self, header: str) -> Topic | None:
        return TOPICS.get(header)

    def change_time(self, payload) -> str:
        # Webhook times carry the shop's offset, which changes with daylight saving: compared in UTC.
        value = payload.get(MODIFIED_FIELD) if isinstance(payload, dict) else None
        try:
            return datetime.fromisoformat(value).astimezone(UTC).isoformat() if isinstance(value, str) else ""
        except ValueError:
            return ""

    def check(self, topic: Topic, body: bytes) -> bool:
        if topic.resource == APP:
            validated(_shop_object, body)
            return False  # nothing to order: each uninstall is applied
        if topic.event == "deleted":
            return MODIFIED_FIELD in validated(deleted_id, body)
        if topic.resource == "product":  # the product and every variant it carries, as the drain maps them
            return MODIFIED_FIELD in validated(_product_and_variants, body)
        return MODIFIED_FIELD in validated(map_order, body)


def validated(validate, body: bytes) -> dict:
    """The body's JSON object as the drain will read it, checked by `validate`; raises ValueError or MappingError."""
    payload = json.loads(body.decode("utf-8"))
    validate(payload)
    return payload


def _shop_object(payload: object) -> None:
    """app/uninstalled carries the shop: an object is all Storelink needs of it."""
    if not isinstance(payload, dict):
        raise MappingError("(body)", "must be a JSON object")


def _product_and_variants(payload: object) -> None:
    map_product(payload)  # first: it names a field of the product itself (an order's line_items, say)
    for item, parent in variants_of(payload)[1:]:
        map_product(item, parent=parent)
