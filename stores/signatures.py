"""Webhook signatures as base64(HMAC-SHA256(raw body, secret)), a scheme several systems share.

A pure verifier on raw bytes, with no web framework. Every way a signature can fail
is funnelled into one exception type with a message that says which. The header that
carries the signature is the connector's to name (`stores.connector.Deliveries`).
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable

from stores.errors import SignatureError

# An HMAC-SHA256 digest is 32 bytes; base64 makes 44 characters of it.
_DIGEST_SIZE = hashlib.sha256().digest_size


def sign(body: bytes, secret: str) -> str:
    """Return the signature header value a store sends for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes, header: str | None, secrets: Iterable[str]) -> None:
    """Raise SignatureError unless `header` signs `body` with one of `secrets`.

    Several secrets are accepted so that a rotated key keeps verifying during its
    grace period. The comparison is on bytes and in constant time.
    """
    if isinstance(secrets, str | bytes):
        # A bare string would be iterated character by character: "c" would become a key.
        raise TypeError("secrets must be a collection of secrets, not one string")
    keys = [secret.encode("utf-8") for secret in secrets if secret]
    if not keys:
        raise SignatureError("no secret to verify against")
    if header is None:
        raise SignatureError("missing signature header")
    if not header.strip():
        raise SignatureError("empty signature header")
    try:
        received = base64.b64decode(header.strip().encode("ascii"), validate=True)
    except UnicodeEncodeError:
        raise SignatureError("signature header is not ASCII") from None
    except binascii.Error:
        raise SignatureError("signature header is not base64") from None
    if len(received) != _DIGEST_SIZE:
        raise SignatureError("signature has the wrong length for HMAC-SHA256")
    matched = False
    for key in keys:
        expected = hmac.new(key, body, hashlib.sha256).digest()
        # No early exit: every secret is checked so timing says nothing about which matched.
        matched |= hmac.compare_digest(expected, received)
    if not matched:
        raise SignatureError("signature does not match the body")
