"""Idempotency-Key: a client that retries a create (after a timeout, say) gets the first answer.

The key is kept in Redis with a keyed hash of the request body: the same key and body within
24 hours answer the first response again (status, body, Location) instead of creating again;
the same key with another body is refused, naming the header; while the first request with a
key runs, another with that key is answered 409 and may retry. Only a response that created
something is kept: a refused request (400, 409, 422) created nothing, so its retry runs again.
"""

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable

from flask import Response, make_response, request
from redis.exceptions import RedisError

from api.errors import error_response, validation_response
from api.resources import get_redis, get_settings

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# Longest key accepted (Stripe's limit); a UUID is 36 characters.
KEY_MAX_LENGTH = 255
# How long a created resource's first response is answered again for its key.
RESPONSE_TTL_SECONDS = 24 * 3600
# How long a key stays claimed by its first request: past Heroku's 30 s router limit, so a
# request still running holds it; a crashed one frees it then.
CLAIM_TTL_SECONDS = 120
# Seconds a client is told to wait before retrying while the first request runs.
RETRY_AFTER_SECONDS = 2
REDIS_KEY = "storelink:idempotency:{scope}:{key_hash}"
REPLAYED_HEADER = "Idempotent-Replayed"


def answer_once(scope: str, respond: Callable[[], object]) -> object:
    """Answer `respond()`, or, for a request with an Idempotency-Key seen before in `scope`,
    what its first request was answered (or why not)."""
    key = request.headers.get(HEADER)
    if key is None:
        return respond()
    if not key or len(key) > KEY_MAX_LENGTH or not all(" " <= char <= "~" for char in key):
        return validation_response(
            {HEADER: [f"must be 1 to {KEY_MAX_LENGTH} printable ASCII characters (a UUID, say)"]}
        )
    redis = get_redis()
    redis_key = REDIS_KEY.format(scope=scope, key_hash=hashlib.sha256(key.encode()).hexdigest())
    fingerprint = _fingerprint(request.get_json(silent=True))
    claim = secrets.token_hex(16)
    try:
        claimed = redis.set(redis_key, json.dumps({"request": fingerprint, "claim": claim}), nx=True, ex=CLAIM_TTL_SECONDS)
        first = None if claimed else redis.get(redis_key)
    except RedisError as error:
        log.warning("idempotency keys unavailable: %s", error)
        return error_response(503, "unavailable", f"{HEADER} cannot be honoured while Redis is unreachable; retry later")
    if not claimed:
        return _answer_seen(first, fingerprint)
    response = None
    try:
        response = make_response(respond())
    finally:
        _settle(redis, redis_key, claim, fingerprint, response)
    return response


def _fingerprint(body: object) -> str:
    """A hash of the request body keyed with SECRET_KEY: it says nothing of the secrets in it."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(get_settings().secret_key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _answer_seen(stored: bytes | None, fingerprint: str):
    """The answer to a key already claimed: refused, in progress, or the first response again."""
    first = json.loads(stored) if stored else {"claim": None, "request": fingerprint}
    if not hmac.compare_digest(first["request"], fingerprint):
        return validation_response(
            {HEADER: ["was already used with a different request body; use a new key for a new request"]}
        )
    if "claim" in first:  # (or the first one's claim expired just now)
        return error_response(
            409,
            "idempotency_key_in_progress",
            f"a request with this {HEADER} is still being answered; retry in a few seconds",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = Response(first["body"], status=first["status"], mimetype="application/json")
    response.headers.update(first["headers"])
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _settle(redis, redis_key: str, claim: str, fingerprint: str, response: Response | None) -> None:
    """Keep a response that created something for the key; free the key after any other."""
    try:
        if response is not None and 200 <= response.status_code < 300:
            kept = {
                "request": fingerprint,
                "status": response.status_code,
                "body": response.get_data(as_text=True),
                "headers": {name: value for name, value in response.headers.items() if name == "Location"},
            }
            redis.set(redis_key, json.dumps(kept), ex=RESPONSE_TTL_SECONDS)
            return
        stored = redis.get(redis_key)
        if stored and json.loads(stored).get("claim") == claim:
            redis.delete(redis_key)
    except RedisError as error:
        # What was created stays created; a retry with this key meets the store's uniqueness (409).
        log.warning("idempotency key not settled: %s", error)
