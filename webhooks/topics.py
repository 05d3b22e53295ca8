"""The topics the receiver takes, and the check each delivery's body must pass before it is buffered."""

import json
import re
from collections.abc import Callable
from typing import Any

from stores.woocommerce.mapping import deleted_id, map_order, map_product
from stores.woocommerce.quickcheck import order_maps, product_maps

# Not signed (WooCommerce signs the body only): it picks the mapper that must accept the body,
# and the mappers refuse each other's records; it never decides a deletion or a restore alone
# (`jobs.refresh` asks the store).
TOPIC_HEADER = "X-WC-Webhook-Topic"
# WooCommerce's ping on webhook creation: form-encoded, unsigned.
PING_BODY = re.compile(rb"webhook_id=[0-9]+")
# Per topic: the mapper that decides whether a body is valid, and the quick check that can
# vouch for a body first (deletions are small: the mapper reads them at once).
VALIDATORS = {
    ("order", "created"): (map_order, order_maps),
    ("order", "updated"): (map_order, order_maps),
    ("order", "restored"): (map_order, order_maps),
    ("order", "deleted"): (deleted_id, None),
    ("product", "created"): (map_product, product_maps),
    ("product", "updated"): (map_product, product_maps),
    ("product", "restored"): (map_product, product_maps),
    ("product", "deleted"): (deleted_id, None),
}


def validated(validate: Callable[[Any], object], text: str) -> dict:
    """The body's JSON object as the drain will read it, checked by `validate`; raises JSONDecodeError or MappingError."""
    payload = json.loads(text)
    validate(payload)  # every mapper requires an object first
    return payload
