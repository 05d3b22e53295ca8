"""Read one field of a store's record: its value as Storelink stores it, or a `MappingError` naming the field.

The readers every connector shares (each system adds its own readers in its package):
* Absent and null map to None (containers to empty), but for `read_id`: an id is always
  required. Other fields are required where a system's shapes say so, not here.
* When present a value must have the type the store sends, else `MappingError`.
* Strings are passed through exactly as the store sent them (no trimming, no HTML
  unescaping, no length cut).
* Money is a canonical decimal string ("17.98"), never a float.
* Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from config import bounds
from stores.errors import MappingError

# Field name used in errors about the payload as a whole.
ROOT_FIELD = "payload"

# Ids, integers and money within the columns' bounds (`config.bounds`), so that what maps is stored:
# ids up to WordPress's BIGINT(20) UNSIGNED, quantities and stock within a signed BIGINT.
MAX_ID = bounds.MAX_ID
MIN_INT, MAX_INT = bounds.INT64_MIN, bounds.INT64_MAX
MAX_MONEY_DIGITS = bounds.MAX_MONEY_DIGITS

# Money as stores write it (decimal text, as the systems' APIs format it): optional minus, digits, optional fraction.
MONEY_PATTERN = r"-?[0-9]+(?:\.[0-9]+)?"
_MONEY_RE = re.compile(MONEY_PATTERN)
# Money already in the form `format_money` writes: no leading zeros, no negative zero.
_CANONICAL_MONEY_RE = re.compile(r"(?!-0+(?:\.0+)?$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# Date-times: "2026-11-27T10:27:37" (no offset: it IS UTC, as in `*_gmt` fields), with a fraction or an offset.
_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)

# Reasons, shared so that tests and callers can match on them.
REQUIRED = "is required"
NOT_OBJECT = "must be an object"
NOT_LIST = "must be a list"
NOT_ID = "must be a positive integer id"
NOT_INTEGER = "must be an integer"
NOT_STRING = "must be a string"
NOT_BOOLEAN = "must be a boolean"
NOT_MONEY = "must be a decimal amount"
NOT_DATETIME = "must be an ISO 8601 date-time"
OUT_OF_RANGE = "is out of range"


def read_object(value: Any, field: str) -> dict[str, Any]:
    """Require a JSON object."""
    if not isinstance(value, dict):
        raise MappingError(field, NOT_OBJECT)
    return value


def read_list(value: Any, field: str) -> list[Any]:
    """Require a JSON array; absent or null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(field, NOT_LIST)
    return value


def read_text(value: Any, field: str) -> str | None:
    """Require a string or null, returned as is but for NUL characters (U+FFFD instead: PostgreSQL cannot store NUL)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    raise MappingError(field, NOT_STRING)


def read_id(value: Any, field: str) -> str:
    """Require a positive integer id (a JSON number or a string of digits) and return its str."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > len(str(MAX_ID)):
            raise MappingError(field, OUT_OF_RANGE)
        value = int(value)
    if value is None:
        raise MappingError(field, REQUIRED)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise MappingError(field, NOT_ID)
    if value > MAX_ID:
        raise MappingError(field, OUT_OF_RANGE)
    return str(value)


def _bounded(value: int, field: str) -> int:
    """Require an integer that fits a signed 64-bit column."""
    if not MIN_INT <= value <= MAX_INT:
        raise MappingError(field, OUT_OF_RANGE)
    return value


def read_int(value: Any, field: str) -> int | None:
    """Require an integer (not a boolean, not a float, not a string) or null."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MappingError(field, NOT_INTEGER)
    return _bounded(value, field)


def read_bool(value: Any, field: str) -> bool | None:
    """Require a boolean or null."""
    if value is None or isinstance(value, bool):
        return value
    raise MappingError(field, NOT_BOOLEAN)


def read_decimal(value: Any, field: str) -> Decimal | None:
    """Parse money from a decimal string or a JSON number, exactly; null is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MappingError(field, NOT_MONEY)
    if isinstance(value, str):
        if not _MONEY_RE.fullmatch(value):
            raise MappingError(field, NOT_MONEY)
        amount = Decimal(value)
        if len(value) <= MAX_MONEY_DIGITS:  # as stores write money: no more digits than characters
            return amount.copy_abs() if amount.is_zero() else amount
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_MONEY_DIGITS:
            raise MappingError(field, OUT_OF_RANGE)
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise MappingError(field, NOT_MONEY)
        # str() is the shortest repr that round-trips: 8.99 -> "8.99", not 8.990000000000000213...
        amount = Decimal(str(value))
    else:
        raise MappingError(field, NOT_MONEY)
    if _fixed_digits(amount) > MAX_MONEY_DIGITS:
        raise MappingError(field, OUT_OF_RANGE)
    return amount.copy_abs() if amount.is_zero() else amount


def _fixed_digits(amount: Decimal) -> int:
    """Count the digits of `amount` written in fixed-point notation."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite by construction
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits), -exponent)


def format_money(amount: Decimal | None) -> str | None:
    """Write a decimal in fixed-point notation, keeping its scale ("17.98", "0.00")."""
    return None if amount is None else format(amount, "f")


def read_money(value: Any, field: str) -> str | None:
    """Money as a canonical decimal string, or None when null."""
    # As stores write money ("17.98", or 8.99 as a JSON number), the text is
    # already what parsing would give: a float is parsed from its str() anyway.
    kind = type(value)
    text = value if kind is str else str(value) if kind is float or kind is int else None
    if text is not None and len(text) <= MAX_MONEY_DIGITS and _CANONICAL_MONEY_RE.fullmatch(text):
        return text
    return format_money(read_decimal(value, field))


def read_utc(value: Any, field: str) -> datetime | None:
    """Parse a date-time (no offset: UTC, as in `*_gmt` fields; or with an offset) into an aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATETIME_RE.fullmatch(value):
        raise MappingError(field, NOT_DATETIME)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise MappingError(field, NOT_DATETIME) from None
