"""`bin/demo-store`: a newcomer connects the demo store to a running Storelink and watches a change arrive by webhook."""

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.services import ROOT, wait_until

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The banner's lines a newcomer pastes into the console's form.
PASTED = {"api_url": "API URL", "access_token": "Access token (consumer key)", "secret": "Secret (consumer secret)"}


def change(state, *words: str) -> str:
    done = subprocess.run(
        [ROOT / "bin" / "demo-store", "--state", state, *words], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def pasted(banner: str) -> dict[str, str]:
    """The values the banner says to paste, by the API's field names."""
    return {field: re.search(rf"^\s+{re.escape(label)}\s+(\S+)$", banner, re.M).group(1) for field, label in PASTED.items()}


def test_a_change_to_the_demo_store_arrives_by_webhook_without_any_poll(start_service, demo_store):
    state, output = demo_store
    service = start_service(workers=1)  # no clock: nothing polls
    body = {"name": "Demo", "external_system": "woocommerce", "order_start": "2020-01-01", **pasted(output.read_text())}
    created = requests.post(f"{service.url}/api/connections", json=body, headers=AUTH, timeout=30)
    assert created.status_code == 201, created.text
    connection = f"{service.url}/api/connections/{created.json()['id']}"
    wait_until(
        lambda: requests.get(connection, headers=AUTH, timeout=5).json()["webhooks_state"] == "active",
        timeout=20, what="webhooks registered",
    )

    order_id = re.match(r"order (\d+) created", change(state, "order", "new")).group(1)
    order = wait_until(
        lambda: (answer := requests.get(f"{connection}/orders/{order_id}", headers=AUTH, timeout=5)).ok and answer.json(),
        timeout=20, what="the new order stored",
    )
    assert order["status"] == "processing"
    # The store's modification times have whole seconds, and the newest by that time wins: a change
    # in the creation's own second would read as no newer (as on a real store), so make it the next.
    created = datetime.fromisoformat(order["modified_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (created + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
    change(state, "order", "status", order_id, "completed")
    wait_until(
        lambda: requests.get(f"{connection}/orders/{order_id}", headers=AUTH, timeout=5).json()["status"] == "completed",
        timeout=20, what="the status change stored",
    )

    assert requests.get(f"{connection}/sync-runs", headers=AUTH, timeout=5).json()["items"] == []
    assert requests.get(f"{connection}/status", headers=AUTH, timeout=5).json()["last_delivery_at"] is not None
    assert f"delivered order.updated of #{order_id}" in output.read_text()


def test_a_change_command_without_a_running_demo_store_says_how_to_start_one(tmp_path):
    done = subprocess.run(
        [ROOT / "bin" / "demo-store", "--state", tmp_path / "none.json", "order", "new"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1
    assert "no demo store is running" in done.stderr and "bin/demo-store" in done.stderr


def test_a_change_the_demo_store_cannot_make_is_refused_naming_why():
    from tests.demo_store.sample import ChangeError, apply_change, fill
    from tests.woo_emulator import WooEmulator

    with WooEmulator() as store:
        fill(store)
        for words, reason in [
            (["order", "status", "999", "completed"], "Invalid ID"),
            (["order", "status", "x", "completed"], "an id is a number"),
            (["order", "trash", "999"], "Invalid ID"),
            (["order", "fly"], "unknown change"),
        ]:
            with pytest.raises(ChangeError, match=reason):
                apply_change(store, words)
        order = apply_change(store, ["order", "new"])
        order_id = re.match(r"order (\d+) created", order).group(1)
        with pytest.raises(ChangeError, match="status must be one of"):
            apply_change(store, ["order", "status", order_id, "lost"])
