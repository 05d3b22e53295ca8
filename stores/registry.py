"""Every system Storelink connects to, by the `external_system` value that names it."""

from stores.connector import Connector
from stores.shopify.connector import ShopifyConnector
from stores.woocommerce.connector import WooCommerceConnector

WOOCOMMERCE = "woocommerce"
SHOPIFY = "shopify"
# The connectors, by system; tests may register one of their own (`register`).
CONNECTORS: dict[str, Connector] = {WOOCOMMERCE: WooCommerceConnector(), SHOPIFY: ShopifyConnector()}
# The systems Storelink ships a connector for (`systems()` adds any registered later).
SYSTEMS = tuple(CONNECTORS)
# Systems on the roadmap: asked for one, the API says it is not supported yet.
PLANNED_SYSTEMS = ("magento", "fortnox")
DEFAULT_SYSTEM = WOOCOMMERCE


class UnknownSystem(LookupError):
    """No connector is registered for this `external_system`."""

    def __init__(self, system: object):
        super().__init__(f"no connector for external_system {system!r}; known: {', '.join(systems())}")
        self.system = system


def systems() -> tuple[str, ...]:
    """The systems a connection can be made to."""
    return tuple(CONNECTORS)


def connector_for(system: str) -> Connector:
    """The connector of `system`, or UnknownSystem."""
    try:
        return CONNECTORS[system]
    except (KeyError, TypeError):
        raise UnknownSystem(system) from None


def is_known(system: object) -> bool:
    """Whether `system` names a registered connector."""
    return isinstance(system, str) and system in CONNECTORS


def register(connector: Connector) -> None:
    """Add (or replace) the connector of `connector.system`."""
    CONNECTORS[connector.system] = connector


def unregister(system: str) -> None:
    """Forget the connector of `system` (tests that registered one)."""
    CONNECTORS.pop(system, None)
