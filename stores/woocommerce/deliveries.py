"""How WooCommerce delivers webhooks: its headers, its ping, its topics and the check each body must pass.

WooCommerce signs the body only (base64 HMAC-SHA256 in `X-WC-Webhook-Signature`). The topic
header is not signed: it picks the mapper that must accept the body, and the mappers refuse
each other's records; it never decides a deletion or a restore alone (`jobs.refresh` asks
the store).
"""

import json
import re

from stores import signatures
from stores.connector import EVENTS, RESOURCES, Deliveries, Topic
from stores.woocommerce.mapping import deleted_id, map_order, map_product
from stores.woocommerce.quickcheck import order_maps, product_maps

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
# WooCommerce's ping on webhook creation: form-encoded, unsigned.
PING_BODY = re.compile(rb"webhook_id=[0-9]+")
# The field whose presence says a body carries its record's modification time.
MODIFIED_FIELD = "date_modified_gmt"
# Per resource: the mapper that decides whether a body is valid, and the quick check that can
# vouch for a body first (deletions are small: the mapper reads them at once).
MAPPERS = {"order": (map_order, order_maps), "product": (map_product, product_maps)}
TOPICS = {f"{resource}.{event}": Topic(resource, event) for resource in RESOURCES for event in EVENTS}


class WooCommerceDeliveries(Deliveries):
    """The receiver's view of WooCommerce webhooks."""

    signature_header = SIGNATURE_HEADER
    topic_header = TOPIC_HEADER

    def is_ping(self, body: bytes, signature: str | None) -> bool:
        return signature is None and PING_BODY.fullmatch(body) is not None

    def verify_signature(self, body: bytes, signature: str | None, secrets: tuple[str, ...]) -> None:
        signatures.verify_signature(body, signature, secrets)

    def topic(self, header: str) -> Topic | None:
        return TOPICS.get(header)

    def change_time(self, payload) -> str:
        # WooCommerce's GMT times all have one form, so their text sorts in time order.
        return str(payload.get(MODIFIED_FIELD) or "") if isinstance(payload, dict) else ""

    def check(self, topic: Topic, body: bytes) -> bool:
        if topic.event == "deleted":
            return MODIFIED_FIELD in validated(deleted_id, body)
        mapper, quick_check = MAPPERS[topic.resource]
        if quick_check(body):
            return True  # the quick check vouches for the body, modification time included
        return MODIFIED_FIELD in validated(mapper, body)  # the mapper decides, and names the field


def validated(validate, body: bytes) -> dict:
    """The body's JSON object as the drain will read it, checked by `validate`; raises ValueError or MappingError."""
    # WooCommerce sends ASCII JSON; anything not UTF-8 is refused rather than re-encoded.
    payload = json.loads(body.decode("utf-8"))
    validate(payload)  # every mapper requires an object first
    return payload
