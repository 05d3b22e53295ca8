"""What a failed verification means for the person at the form, and what they can do about it."""

from dataclasses import dataclass

from stores.woocommerce import errors


@dataclass(frozen=True)
class Advice:
    """A headline for the cause and the next step."""

    title: str
    next_step: str


ADVICE = {
    errors.UNREACHABLE: Advice(
        "Storelink could not reach the store",
        "Check the API URL (the store's home address) and that the store is online and reachable from this server.",
    ),
    errors.TLS_ERROR: Advice(
        "The store's HTTPS certificate was not accepted",
        "Renew or fix the store's certificate. A store with a private certificate authority needs STORE_CA_BUNDLE.",
    ),
    errors.NOT_WOOCOMMERCE: Advice(
        "No usable WooCommerce at this address",
        "Use the store's home address (e.g. https://shop.example.com) and make sure WooCommerce 5.8 or newer is active.",
    ),
    errors.REST_API_DISABLED: Advice(
        "The store's REST API is switched off by its permalinks",
        "In WordPress, open Settings → Permalinks and choose any structure but Plain (e.g. Post name), then verify again.",
    ),
    errors.INVALID_CREDENTIALS: Advice(
        "The store rejected the keys",
        "Copy the consumer key and consumer secret again from WooCommerce → Settings → Advanced → REST API; "
        "they must belong to the same key. A lost secret cannot be shown again: create a new key.",
    ),
    errors.INSUFFICIENT_PERMISSIONS: Advice(
        "The keys lack permission",
        "In WooCommerce → Settings → Advanced → REST API, edit the key (or create one) with Read/Write permission "
        "for an administrator or shop manager.",
    ),
    errors.UNEXPECTED_RESPONSE: Advice(
        "The store answered unexpectedly",
        "Try again in a moment. If it persists, look at the store's error log and at security plugins that block the REST API.",
    ),
}
UNKNOWN = Advice("Verification failed", "Check the fields and try again.")


def advice_for(code: str) -> Advice:
    """The advice for a diagnosis code."""
    return ADVICE.get(code, UNKNOWN)
