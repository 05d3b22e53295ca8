"""Shopify's own diagnosis codes, beside the ones every system shares (`stores.errors`)."""

from stores.errors import (  # noqa: F401  (re-exported: this module names every code a Shopify shop can answer)
    INSUFFICIENT_PERMISSIONS,
    INVALID_CREDENTIALS,
    TLS_ERROR,
    UNEXPECTED_RESPONSE,
    UNREACHABLE,
    StoreError,
)

# No Shopify shop at the address (a custom storefront domain, or a *.myshopify.com name with no shop).
NOT_SHOPIFY = "not_shopify"
# Every code `verify` and the client raise, in the order the console lists its advice.
CODES = (UNREACHABLE, TLS_ERROR, NOT_SHOPIFY, INVALID_CREDENTIALS, INSUFFICIENT_PERMISSIONS, UNEXPECTED_RESPONSE)
