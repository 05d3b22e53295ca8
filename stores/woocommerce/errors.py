"""WooCommerce's own diagnosis codes, beside the ones every system shares (`stores.errors`)."""

from stores.errors import (  # noqa: F401  (re-exported: this module names every code a WooCommerce store can answer)
    INSUFFICIENT_PERMISSIONS,
    INVALID_CREDENTIALS,
    RETRYABLE_STATUSES,
    TLS_ERROR,
    UNEXPECTED_RESPONSE,
    UNREACHABLE,
    StoreError,
)

# Diagnosis codes from the HTTP contract (docs/DESIGN.md) that only WooCommerce answers.
NOT_WOOCOMMERCE = "not_woocommerce"
REST_API_DISABLED = "rest_api_disabled"
# Every code `verify` and the client raise, in the order the console lists its advice.
CODES = (UNREACHABLE, TLS_ERROR, NOT_WOOCOMMERCE, REST_API_DISABLED, INVALID_CREDENTIALS, INSUFFICIENT_PERMISSIONS, UNEXPECTED_RESPONSE)
