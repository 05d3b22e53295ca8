"""A faithful WooCommerce 9.9.5 store for tests: the one thing faked, everything else is real.

    with WooEmulator() as store:
        key, secret = store.new_key()
        mug = store.create_product(name="Mug", regular_price="8.99")
        store.create_order(line_items=[{"product_id": mug["id"], "quantity": 2}])
        ...  # point the client at store.base_url
        results = store.run_cron()  # deliver the queued webhooks
"""

from .emulator import WooEmulator
from .receiver import Capture, CaptureServer
from .server import RecordedRequest
from .store import ManualClock
from .webhooks import DeliveryResult, PingResult, Webhook

__all__ = [
    "Capture",
    "CaptureServer",
    "DeliveryResult",
    "ManualClock",
    "PingResult",
    "RecordedRequest",
    "Webhook",
    "WooEmulator",
]
