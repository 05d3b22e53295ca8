"""What the connection use cases refuse, for the API and the console to answer."""


class FieldErrors(Exception):
    """Input that names fields and what is wrong with each (422)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class ConnectionNotFound(LookupError):
    """No active connection has that id."""
