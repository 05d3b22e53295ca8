"""Store credentials at rest: encrypted with a key derived from SECRET_KEY, masked when shown."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Shown characters at the end of a masked access token: enough to tell keys apart, not to use one.
MASK_VISIBLE_TAIL = 4
MASK_ELLIPSIS = "…"


class CredentialError(RuntimeError):
    """Stored credentials cannot be decrypted with the configured SECRET_KEY."""


def _fernet(secret_key: str) -> Fernet:
    # Fernet wants 32 url-safe base64 bytes; any operator-chosen string is stretched into that.
    digest = hashlib.sha256(b"storelink-credentials:" + secret_key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class Vault:
    """Encrypts and decrypts credentials. SECRET_KEY may list old keys after a comma for rotation."""

    def __init__(self, secret_key: str):
        keys = [key.strip() for key in secret_key.split(",") if key.strip()]
        if not keys:
            raise CredentialError("SECRET_KEY is empty")
        fernets = [_fernet(key) for key in keys]
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt `plaintext` with the newest key."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a value encrypted with any of the configured keys."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CredentialError("stored credentials do not decrypt with SECRET_KEY") from None

    def reencrypted(self, token: str) -> str | None:
        """`token` encrypted again with the newest key, or None when it already is."""
        try:
            self._newest.decrypt(token.encode("ascii"))
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise CredentialError("stored credentials do not decrypt with SECRET_KEY") from None


def mask_access_token(access_token: str) -> str:
    """`ck_0123…1a2b` → `ck_…1a2b`: the prefix and the last characters only."""
    prefix, sep, rest = access_token.partition("_")
    if not sep:
        prefix, rest = "", access_token
    tail = rest[-MASK_VISIBLE_TAIL:] if len(rest) > 2 * MASK_VISIBLE_TAIL else ""
    return f"{prefix}{sep}{MASK_ELLIPSIS}{tail}"
