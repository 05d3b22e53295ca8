"""What a failed verification means for the person at the form, and what they can do about it (the connector says)."""

from stores.connector import Advice
from stores.registry import DEFAULT_SYSTEM, connector_for, is_known

UNKNOWN = Advice("Verification failed", "Check the fields and try again.")


def advice_for(code: str, system: str = DEFAULT_SYSTEM) -> Advice:
    """The advice of `system`'s connector for a diagnosis code."""
    if not is_known(system):
        return UNKNOWN
    return connector_for(system).advice.get(code, UNKNOWN)
