"""Load the real WooCommerce 9.9.5 captures in tests/data/woocommerce-9.9.5 (see its README)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "woocommerce-9.9.5"
WEBHOOKS_DIR = DATA_DIR / "webhooks"
REST_DIR = DATA_DIR / "rest"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"


@dataclass(frozen=True)
class Delivery:
    """One captured webhook request: headers as received and the raw body bytes."""

    name: str
    description: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    secret: str
    signature_valid: bool | None
    derived: bool

    @property
    def signature(self) -> str | None:
        """The X-WC-Webhook-Signature header, or None (the ping has none)."""
        return self.headers.get(SIGNATURE_HEADER)

    @property
    def topic(self) -> str | None:
        """The X-WC-Webhook-Topic header, e.g. "order.created"."""
        return self.headers.get("X-WC-Webhook-Topic")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _resolve(directory: Path, name: str) -> Path:
    """Find a fixture by file name, stem, or numeric prefix ("02" -> 02_order_created.json)."""
    stem = name.removesuffix(".json")
    matches = [p for p in directory.glob("*.json") if p.stem == stem or p.stem.startswith(stem + "_")]
    if len(matches) != 1:
        raise LookupError(f"{name!r} matches {len(matches)} fixtures in {directory}")
    return matches[0]


def delivery_names() -> list[str]:
    """All webhook capture names (file stems), in file order."""
    return sorted(p.stem for p in WEBHOOKS_DIR.glob("*.json"))


def load_delivery(name: str) -> Delivery:
    """Load one webhook capture; the body is decoded from `body_base64` (the raw bytes)."""
    path = _resolve(WEBHOOKS_DIR, name)
    data = json.loads(path.read_text(encoding="utf-8"))
    return Delivery(
        name=path.stem,
        description=data["description"],
        method=data["method"],
        path=data["path"],
        headers=dict(data["headers"]),
        body=base64.b64decode(data["body_base64"], validate=True),
        secret=data["secret"],
        signature_valid=data["signature_valid"],
        derived=bool(data["source"].get("derived", False)),
    )


def load_delivery_text(name: str) -> str:
    """The capture's `body_text` field (the body decoded as UTF-8, for cross-checking)."""
    return json.loads(_resolve(WEBHOOKS_DIR, name).read_text(encoding="utf-8"))["body_text"]


def load_rest(name: str) -> dict[str, Any]:
    """Load one REST capture: {"description", "request", "status", "headers", "body", ...}."""
    return json.loads(_resolve(REST_DIR, name).read_text(encoding="utf-8"))
