"""What can go wrong talking to a store or reading its records, the same for every system.

A store error's `code` is one of the diagnosis codes of the HTTP contract (docs/DESIGN.md);
a connector adds codes of its own for causes only its system has. Every error says whether
waiting and asking again can help (`retryable`), and `RetryPolicy` says how long to wait.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

# Diagnosis codes every system can answer; operators and the console rely on them.
UNREACHABLE = "unreachable"
TLS_ERROR = "tls_error"
INVALID_CREDENTIALS = "invalid_credentials"
INSUFFICIENT_PERMISSIONS = "insufficient_permissions"
UNEXPECTED_RESPONSE = "unexpected_response"

# Statuses at which waiting and asking again can help.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class StoreError(Exception):
    """The store could not be used; `code` names the cause, `retryable` says whether waiting helps."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        store_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.store_code = store_code
        self.retryable = retryable
        self.retry_after = retry_after

    def to_dict(self) -> dict:
        """The `{"code", "message"}` form the HTTP API answers with."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how patiently, to ask again a store that is busy (429, 5xx) or cannot be reached."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    # A Retry-After longer than this is not waited for here; the run fails and the schedule retries.
    max_retry_after: float = 300.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, error: StoreError) -> float | None:
        """Seconds to wait before attempt number `attempt + 1`, or None to give up."""
        if not error.retryable or attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


NO_RETRY = RetryPolicy(attempts=1)


class MappingError(ValueError):
    """A payload does not have the shape its store sends; says which field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class SignatureError(Exception):
    """A delivery's signature is missing, malformed, or does not match."""
