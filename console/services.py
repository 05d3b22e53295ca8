"""The services behind the console pages, built per request as the admin API builds them."""

from connections.service import ConnectionService
from web.resources import get_session, get_settings, get_vault

# Pages that ask a store something while an operator waits give up after this long.
QUICK_STORE_TIMEOUT_SECONDS = 5.0


def connection_service(*, quick: bool = False) -> ConnectionService:
    """The connection use cases; `quick` caps how long a store may take to answer."""
    settings = get_settings()
    if quick:
        timeout = min(settings.store_timeout_seconds, QUICK_STORE_TIMEOUT_SECONDS)
        settings = settings.with_overrides({"store_timeout_seconds": timeout})
    return ConnectionService(settings, get_session(), get_vault())
