"""The real processes together: gunicorn, an RQ worker and the clock, a store delivering to them."""

import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.services import wait_until
from tests.woo_emulator import WooEmulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def service(start_service):
    """web + worker + clock."""
    return start_service(web=True, workers=1, clock=True).url


def test_a_registered_store_delivers_an_order_that_ends_up_stored(service):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with WooEmulator() as store:
        key, secret = store.new_key()
        product = store.create_product(name="Mug", regular_price="8.99", sku="SKU-001")
        created = requests.post(
            f"{service}/api/connections",
            headers=admin,
            json={"name": "E2E", "external_system": "woocommerce", "api_url": store.base_url,
                  "access_token": key, "secret": secret, "order_start": "2020-01-01"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        connection_id = created.json()["id"]
        assert created.json()["webhooks_state"] == "registering"

        def registered():
            detail = requests.get(f"{service}/api/connections/{connection_id}", headers=admin, timeout=5).json()
            return detail["webhooks_state"] == "active"

        wait_until(registered, timeout=60, interval=0.2, what="the worker registers the webhooks")
        assert [ping.status for ping in store.pings] == [200] * 8

        order = store.create_order(status="processing", line_items=[{"product_id": product["id"], "quantity": 2}])
        results = store.run_cron()
        assert results and {result.status for result in results} == {202}

        def order_stored():
            response = requests.get(f"{service}/api/connections/{connection_id}/orders/{order['id']}", headers=admin, timeout=5)
            return response.json() if response.status_code == 200 else None

        stored = wait_until(order_stored, timeout=20, what="the delivered order stored by the worker")
        assert stored["status"] == "processing"
        assert stored["line_items"][0]["sku"] == "SKU-001"
        assert stored["line_items"][0]["quantity"] == 2

        # The clock queued the first polls at once; the worker ran them.
        def polls_done():
            runs = requests.get(f"{service}/api/connections/{connection_id}/sync-runs", headers=admin, timeout=5).json()["items"]
            finished = {run["entity"]: run["status"] for run in runs if run["status"] in ("succeeded", "failed")}
            return finished if len(finished) == 2 else None

        assert wait_until(polls_done, timeout=30, what="first polls") == {"orders": "succeeded", "products": "succeeded"}
        products = requests.get(f"{service}/api/connections/{connection_id}/products", headers=admin, timeout=5).json()
        assert [item["sku"] for item in products["items"]] == ["SKU-001"]
