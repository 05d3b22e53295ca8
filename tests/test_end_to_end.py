"""The real processes together: gunicorn, an RQ worker and the clock, a store delivering to them."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.services import free_port, wait_until
from tests.woo_emulator import WooEmulator

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent


class Processes:
    """Procfile processes started as subprocesses, stopped with SIGTERM as Heroku does."""

    def __init__(self, environment: dict[str, str], logs: Path):
        self.environment = environment
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *command: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.running[name] = subprocess.Popen(
            [sys.executable, *command], cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT
        )
        self.running[name].log = log

    def stop(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.log.close()

    def output(self) -> str:
        return "\n".join(f"--- {name}\n{(self.logs / f'{name}.log').read_text(errors='replace')[-3000:]}" for name in self.running)


@pytest.fixture
def service(environment, tmp_path):
    """gunicorn + worker + clock on the test database and Redis; answers the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **environment, "PORT": str(port), "PUBLIC_URL": url, "WEB_CONCURRENCY": "2", "LOG_LEVEL": "INFO", "CLOCK_TICK_SECONDS": "1"}
    processes = Processes(env, tmp_path)
    processes.start("web", "-m", "gunicorn", "-c", "config/gunicorn.py")
    processes.start("worker", "-m", "jobs.worker")
    processes.start("clock", "-m", "jobs.clock")
    try:
        wait_until(lambda: _ready(url), timeout=30, what="gunicorn /readyz")
        yield url
    except BaseException:
        print(processes.output())
        raise
    finally:
        processes.stop()


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


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
