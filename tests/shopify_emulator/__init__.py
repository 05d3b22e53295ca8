"""A Shopify shop for tests: the Admin GraphQL API over HTTPS, apps and tokens, webhooks, bulk operations.

    with ShopifyEmulator(clock=ManualClock("2026-11-27T10:00:00Z")) as shop, loopback_myshopify():
        app = shop.create_legacy_app(scopes=["read_orders", "read_products"])
        mug = shop.create_product(title="Mug", variants=[{"sku": "MUG-1", "price": "8.99"}])
        shop.create_order(line_items=[{"variant_id": mug["variants"][0]["id"], "quantity": 2}])
        ...  # point the client at shop.base_url with app.access_token, verify=shop.ca_file
"""

from tests.woo_emulator.store import ManualClock

from .auth import App
from .emulator import API_VERSION, ShopifyEmulator
from .webhooks import DeliveryResult, Subscription, sign

__all__ = ["API_VERSION", "App", "DeliveryResult", "ManualClock", "ShopifyEmulator", "Subscription", "sign"]
