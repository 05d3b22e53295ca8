"""What the connection use cases refuse, and the one JSON error shape the whole service answers with.

The API, the console and the webhook receiver all sit above this module, so the error shape
lives here once and every layer that answers HTTP builds its errors with `error_document`.
"""


def error_document(code: str, message: str, **details) -> dict:
    """The one error shape: `{"error": {"code", "message"}}`, and any details (ids) a caller can act on."""
    return {"error": {"code": code, "message": message, **details}}


class FieldErrors(Exception):
    """Input that names fields and what is wrong with each (422)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class ConnectionNotFound(LookupError):
    """No active connection has that id."""
