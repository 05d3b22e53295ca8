"""The shapes of the ids that arrive in URLs, checked before any query sees them.

A malformed id is simply not found (404), whatever the database: PostgreSQL cannot even
compare text holding a NUL, and would fail the query instead.
"""

import re
import secrets

# Public ids of connections and sync runs: `secrets.token_urlsafe` text, within their 32-character columns.
PUBLIC_ID_MAX = 32
_PUBLIC_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{PUBLIC_ID_MAX}}}")
# A store's ids of its records (decimal numbers in some systems), within their 64-character columns.
EXTERNAL_ID_MAX = 64
_EXTERNAL_ID = re.compile(rf"[!-~]{{1,{EXTERNAL_ID_MAX}}}")


def new_public_id(random_bytes: int) -> str:
    """An unguessable public id carrying about `random_bytes` bytes of randomness.

    It never starts with `-` or `_`, so that no command line reads it as an option
    (`storelink connections show ID`); that costs less than a tenth of a bit.
    """
    while True:
        public_id = secrets.token_urlsafe(random_bytes)
        if public_id[0].isalnum():
            return public_id


def is_public_id(text: str) -> bool:
    """Whether `text` could be a public id Storelink made."""
    return _PUBLIC_ID.fullmatch(text) is not None


def is_external_id(text: str) -> bool:
    """Whether `text` could be a store's id of a record: printable ASCII, no spaces."""
    return _EXTERNAL_ID.fullmatch(text) is not None
