"""Values as Shopify writes them: Unix times from what tests pass, amounts as strings, handles."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any


def to_timestamp(value: Any) -> float:
    """A Unix time from a number, an aware datetime or an ISO string (naive means UTC)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    raise TypeError(f"not a time: {value!r}")


def money(value: Any) -> str:
    """A decimal string with two places, as Shopify writes amounts."""
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def handleize(title: str) -> str:
    """Shopify's handle for a title: lower case, dashes for anything else."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
