"""How PHP and WordPress encode and parse: JSON, query strings, URL encoding."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

# A PHP array parsed from a query string: ordered keys (int or str) to scalars or nested arrays.
PhpArray = dict


def wp_json_encode(value: Any) -> str:
    """Encode like wp_json_encode(): compact, ASCII only, slashes escaped as \\/."""
    # JSON punctuation never contains "/", so every slash left is inside a string.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def php_urlencode(value: str) -> str:
    """PHP urlencode(): RFC 1738 with spaces as '+', and '~' encoded too."""
    return quote_plus(value, safe="").replace("~", "%7E")


def rawurlencode(value: str) -> str:
    """PHP rawurlencode(): RFC 3986 percent-encoding of everything but unreserved characters."""
    return quote(value, safe="~")


def php_scalar(value: Any) -> str:
    """The string PHP makes of a scalar: true is "1", false and null are ""."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)


def parse_str(query: str) -> PhpArray:
    """Parse a query string the way PHP fills $_GET (brackets make arrays, last key wins)."""
    result: PhpArray = {}
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote_plus(raw_key)
        value = unquote_plus(raw_value)
        _assign(result, key, value)
    return result


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _assign(target: PhpArray, key: str, value: str) -> None:
    """Store one key=value into the PHP array, honouring name[sub][] syntax."""
    bracket = key.find("[")
    base = key if bracket == -1 else key[:bracket]
    base = base.lstrip(" ")
    # PHP turns spaces and dots in variable names into underscores.
    base = base.replace(" ", "_").replace(".", "_")
    if not base:
        return
    subkeys: list[str] = []
    if bracket != -1:
        rest = key[bracket:]
        position = 0
        for match in _BRACKETS.finditer(rest):
            if match.start() != position:
                break
            subkeys.append(match.group(1))
            position = match.end()
        if not subkeys:
            base = key.replace(" ", "_").replace(".", "_").replace("[", "_")
    path = [base, *subkeys]
    node = target
    for index, name in enumerate(path):
        last = index == len(path) - 1
        if name == "" and index > 0:
            name = _next_index(node)
        elif index > 0:
            name = _php_key(name)
        if last:
            node[name] = value
        else:
            child = node.get(name)
            if not isinstance(child, dict):
                child = {}
                node[name] = child
            node = child


def _next_index(array: PhpArray) -> int:
    """The key PHP gives to $array[] = ...: one past the largest integer key."""
    integers = [key for key in array if isinstance(key, int)]
    return max(integers) + 1 if integers else 0


def _php_key(name: str) -> int | str:
    """PHP array keys that look like decimal integers become integers."""
    if re.fullmatch(r"0|-?[1-9][0-9]*", name):
        return int(name)
    return name


def urlencode_deep(value: Any) -> Any:
    """WordPress urlencode_deep(): php_urlencode every scalar, keep the array shape."""
    if isinstance(value, dict):
        return {key: urlencode_deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [urlencode_deep(item) for item in value]
    return php_urlencode(php_scalar(value))


def build_query(params: PhpArray) -> str:
    """WordPress build_query(): join without encoding; nested keys as name%5Bkey%5D."""
    parts: list[str] = []
    _build(params, "", parts)
    return "&".join(parts)


def _build(params: PhpArray, prefix: str, parts: list[str]) -> None:
    """Append key=value strings for one level of a PHP array."""
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in items:
        name = f"{prefix}%5B{key}%5D" if prefix else str(key)
        if isinstance(value, (dict, list)):
            _build(value, name, parts)
        elif value is not None:
            parts.append(f"{name}={value}")


def add_query_arg(url: str, params: PhpArray) -> str:
    """WordPress add_query_arg(): re-encode the URL's own query, then set `params` (already encoded)."""
    base, _, query = url.partition("?")
    merged = urlencode_deep(parse_str(query)) if query else {}
    for key, value in params.items():
        merged[key] = value
    built = build_query(merged)
    return f"{base}?{built}" if built else base


def urldecode(value: str) -> str:
    """PHP urldecode(): '+' is a space."""
    return unquote_plus(value)


def rawurldecode(value: str) -> str:
    """PHP rawurldecode(): '+' stays '+'."""
    return unquote(value)


def wp_parse_list(value: Any) -> list:
    """WordPress wp_parse_list(): a list as is, a string split on commas and whitespace."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [part for part in re.split(r"[\s,]+", str(value)) if part != ""]


def sanitize_title(text: str) -> str:
    """A rough WordPress sanitize_title(): lowercase, accents dropped, dashes for the rest."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = re.sub(r"<[^>]*>", "", ascii_text).lower()
    ascii_text = re.sub(r"&[a-z0-9#]+;", "", ascii_text)
    pieces: list[str] = []
    for ch in ascii_text:
        if ch.isascii() and (ch.isalnum() or ch in "-_"):
            pieces.append(ch)
        elif ch.isspace() or ch in "./":
            pieces.append("-")
        elif not ch.isascii():
            category = unicodedata.category(ch)
            if category == "Pd" or category == "Zs":
                pieces.append("-")
            elif not category.startswith("P"):
                pieces.append(quote(ch, safe="").lower())
    slug = re.sub(r"-+", "-", "".join(pieces)).strip("-")
    return slug
