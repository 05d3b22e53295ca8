"""What can go wrong talking to a WooCommerce store, named so a caller knows what to do."""

# Diagnosis codes from the HTTP contract (docs/DESIGN.md); operators and the console rely on them.
UNREACHABLE = "unreachable"
TLS_ERROR = "tls_error"
NOT_WOOCOMMERCE = "not_woocommerce"
REST_API_DISABLED = "rest_api_disabled"
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
