"""The real wc/v3 route list (captured from WooCommerce 9.9.5) and WordPress's argument validation."""

from __future__ import annotations

import datetime
import functools
import json
import re
from pathlib import Path
from typing import Any

from .errors import RestError
from .phpcompat import wp_parse_list

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "woocommerce-9.9.5"
INDEX_FIXTURE = CAPTURES / "rest" / "wc_v3_index_basic_over_http_200.json"
# The home URL of the store the route list was captured from; rewritten to the emulator's.
RECORDED_HOME = "http://127.0.0.1:8080"


@functools.cache
def _index_text() -> str:
    """The captured GET /wp-json/wc/v3/ body as JSON text."""
    return json.dumps(json.loads(INDEX_FIXTURE.read_text(encoding="utf-8"))["body"])


def namespace_index(rest_base: str) -> dict[str, Any]:
    """The wc/v3 namespace index with links pointing at `rest_base` (".../wp-json")."""
    return json.loads(_index_text().replace(RECORDED_HOME + "/wp-json", rest_base))


@functools.cache
def _routes() -> dict[str, Any]:
    """Route pattern -> route description, from the captured index."""
    return json.loads(_index_text())["routes"]


@functools.cache
def _real_route_patterns() -> list[tuple[re.Pattern, tuple[str, ...]]]:
    """Every route the real store registers under wc/v3, compiled, with its methods."""
    patterns = []
    for route, description in _routes().items():
        try:
            patterns.append((re.compile(f"^{route}$", re.IGNORECASE), tuple(description["methods"])))
        except re.error:
            continue
    return patterns


def is_real_route(path: str, method: str) -> bool:
    """Whether the real store answers this path and method."""
    return any(pattern.match(path) and method in methods for pattern, methods in _real_route_patterns())


def route_methods(route: str) -> list[str]:
    """The methods the real store lists for a route, in its order."""
    return list(_routes()[route]["methods"])


def endpoint_args(route: str, method: str) -> dict[str, Any]:
    """The argument schema the real store registers for this route and method."""
    if route not in _routes():
        return {}
    for endpoint in _routes()[route]["endpoints"]:
        if method in endpoint["methods"] or (method == "HEAD" and "GET" in endpoint["methods"]):
            return endpoint["args"]
    return {}


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_rest_date(value: str) -> tuple[datetime.datetime, datetime.timedelta | None] | None:
    """WordPress rest_parse_date(): the naive date-time and its offset (None when absent)."""
    match = _DATE.match(value)
    if not match:
        return None
    try:
        moment = datetime.datetime(*(int(part) for part in match.groups()[:6]))
    except ValueError:
        return None
    zone = match.group(7)
    if zone is None:
        return moment, None
    if zone == "Z":
        return moment, datetime.timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    return moment, sign * datetime.timedelta(hours=hours, minutes=minutes)


_NUMERIC = re.compile(r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$")


def _is_numeric(value: Any) -> bool:
    """PHP is_numeric()."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def _is_integer(value: Any) -> bool:
    """WordPress rest_is_integer(): numeric and whole."""
    return _is_numeric(value) and float(value) == round(float(value))


def _is_boolean(value: Any) -> bool:
    """WordPress rest_is_boolean()."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.lower() in ("false", "true", "0", "1")
    if isinstance(value, int):
        return value in (0, 1)
    return False


def to_boolean(value: Any) -> bool:
    """WordPress rest_sanitize_boolean()."""
    if isinstance(value, str):
        return value.lower() not in ("false", "0", "")
    return bool(value)


def _join_list(values: list[str]) -> str:
    """wp_sprintf's %l: "a and b", "a, b, and c"."""
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return f"{values[0]} and {values[1]}"
    return ", ".join(values[:-1]) + ", and " + values[-1]


def _type_error(param: str, type_name: str) -> tuple[str, str]:
    """rest_invalid_type in WordPress's words."""
    return "rest_invalid_type", f"{param} is not of type {type_name}."


def validate_value(value: Any, schema: dict[str, Any], param: str) -> tuple[str, str] | None:
    """Check one value against its schema; (code, message) when it fails, as WordPress words it."""
    kind = schema.get("type")
    if isinstance(kind, list):
        if any(validate_value(value, {**schema, "type": single}, param) is None for single in kind):
            return None
        return _type_error(param, ",".join(kind))
    if kind == "array":
        if not isinstance(value, (list, dict, str)):
            return _type_error(param, "array")
        items = wp_parse_list(value)
        for index, item in enumerate(items):
            failure = validate_value(item, schema.get("items", {}), f"{param}[{index}]")
            if failure:
                return failure
        return None
    if kind == "object":
        return None if isinstance(value, dict) or value == "" else _type_error(param, "object")
    if kind == "integer" and not _is_integer(value):
        return _type_error(param, "integer")
    if kind == "number" and not _is_numeric(value):
        return _type_error(param, "number")
    if kind == "boolean" and not _is_boolean(value):
        return _type_error(param, "boolean")
    if kind == "string" and not isinstance(value, str):
        return _type_error(param, "string")
    if kind == "null" and value not in (None, ""):
        return _type_error(param, "null")
    if "enum" in schema and kind in ("string", "integer", None):
        allowed = [str(option) for option in schema["enum"]]
        if str(value) not in allowed:
            unique = list(dict.fromkeys(allowed))
            if len(unique) == 1:
                return "rest_not_in_enum", f"{param} is not {unique[0]}."
            return "rest_not_in_enum", f"{param} is not one of {_join_list(unique)}."
    if kind in ("integer", "number"):
        return _check_bounds(float(value), schema, param)
    if kind == "string" and schema.get("format") == "date-time" and parse_rest_date(value) is None:
        return "rest_invalid_date", "Invalid date."
    return None


def _check_bounds(number: float, schema: dict[str, Any], param: str) -> tuple[str, str] | None:
    """minimum/maximum in WordPress's words."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None and not low <= number <= high:
        return "rest_out_of_bounds", f"{param} must be between {low} (inclusive) and {high} (inclusive)"
    if low is not None and high is None and number < low:
        return "rest_out_of_bounds", f"{param} must be greater than or equal to {low}"
    if high is not None and low is None and number > high:
        return "rest_out_of_bounds", f"{param} must be less than or equal to {high}"
    return None


def check_params(args: dict[str, Any], params: dict[str, Any]) -> None:
    """WordPress has_valid_params(): required first, then each present argument against its schema."""
    missing = [name for name, spec in args.items() if spec.get("required") is True and params.get(name) is None]
    if missing:
        message = f"Missing parameter(s): {', '.join(missing)}"
        raise RestError("rest_missing_callback_param", message, 400, params=missing)
    invalid: dict[str, str] = {}
    details: dict[str, Any] = {}
    for name, spec in args.items():
        if params.get(name) is None:
            continue
        failure = validate_value(params[name], spec, name)
        if failure:
            code, message = failure
            invalid[name] = message
            details[name] = {"code": code, "message": message, "data": None}
    if invalid:
        raise RestError(
            "rest_invalid_param", f"Invalid parameter(s): {', '.join(invalid)}", 400, params=invalid, details=details
        )


def with_defaults(args: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters with the schema defaults filled in."""
    merged = {name: spec["default"] for name, spec in args.items() if "default" in spec}
    merged.update({name: value for name, value in params.items() if value is not None})
    return merged
