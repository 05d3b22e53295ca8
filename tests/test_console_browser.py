"""The console in a real browser (headless Chromium via Playwright), against the app served over
HTTP, a real RQ worker process and the store emulator: an operator's whole afternoon.

Needs Debian's `chromium` (/usr/bin/chromium; CHROMIUM=path overrides) and the `playwright`
package; Playwright's own browser download is never used. Screenshots go to docs/screenshots/.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.services import wait_until
from tests.test_demo_store import change, pasted

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1200, "height": 800}
PHONE = {"width": 390, "height": 844}
# Long enough for a sync through a slowed-down store; failures still show within a minute.
WAIT_MS = 20_000
ORDERS = 250  # three pages of 100


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (no cookies) at desktop size."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def worker(environment, tmp_path):
    """`python -m jobs.worker` on the test database and Redis, as the Procfile runs it."""
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        yield process
        # SIGTERM to the group: the worker and any work horse it forked.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print(f"--- worker log\n{log_path.read_text(errors='replace')[-4000:]}")  # shown when the test fails


def screenshot(page, name: str, **options) -> None:
    """Write the page to docs/screenshots/<name>.png whole: CI runs two suites at once (SQLite,
    PostgreSQL), and a reader must never see one's picture half over the other's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    partial = SCREENSHOTS / f".{name}.{os.getpid()}.png"
    partial.write_bytes(page.screenshot(**options))
    os.replace(partial, SCREENSHOTS / f"{name}.png")


def run_statuses(client, connection_id: str) -> list[str]:
    return [run["status"] for run in client.get(f"/api/connections/{connection_id}/sync-runs").json["items"]]


def test_an_operator_connects_a_store_and_watches_it_work(app, environment, store, worker, page, client):
    base = environment["PUBLIC_URL"]
    for _ in range(ORDERS):
        store.create_order(
            billing={"email": "buyer@example.com"},
            line_items=[{"product_id": 0, "name": "Thing", "quantity": 1, "price": "5.00"}],
        )

    # Sign in: every page sends you there first, and back afterwards.
    page.goto(f"{base}/connections/new")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Admin token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#token-error")).to_contain_text("not the admin token")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Create new connection")).to_be_visible()

    # The form: a wrong secret is diagnosed, and Save stays unavailable.
    save = page.get_by_role("button", name="Save", exact=True)
    verify = page.get_by_role("button", name="Verify connection")
    page.get_by_label("Name").fill("Main web shop")
    expect(page.get_by_label("External system")).to_have_value("woocommerce")
    page.get_by_label("Access token (consumer key)").fill(store.key)
    page.get_by_label("API URL").fill(store.base_url)
    page.get_by_label("Secret (consumer secret)").fill("cs_" + "0" * 40)
    page.get_by_label("Warehouse").fill("Stockholm")
    expect(save).to_be_disabled()
    verify.click()
    result = page.locator("#verification-result")
    expect(result).to_have_attribute("data-code", "invalid_credentials")
    expect(result).to_contain_text("The store rejected the keys")
    expect(result).to_contain_text("What to do:")
    expect(save).to_be_disabled()
    screenshot(page, "new-connection-error")

    # Fixed and verified: green, with the store's versions; Save now available.
    page.get_by_label("Secret (consumer secret)").fill(store.secret)
    verify.click()
    expect(result).to_have_attribute("data-code", "ok")
    expect(result).to_contain_text("WooCommerce 9.9.5 on WordPress 6.9")
    expect(save).to_be_enabled()
    screenshot(page, "new-connection-verified", full_page=True)
    # Editing a verified value disables Save again (and says why); undoing it re-enables it.
    key_field = page.get_by_label("Access token (consumer key)")
    key_field.fill(store.key + "x")
    expect(save).to_be_disabled()
    expect(page.locator("#reverify-hint")).to_be_visible()
    key_field.fill(store.key)
    expect(save).to_be_enabled()
    save.click()

    # The connection's page: the webhooks being registered by the worker, then as the store reports them.
    expect(page.get_by_role("heading", name="Main web shop", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("its 8 webhooks are being registered on the store")
    detail = f"/api/connections/{page.url.rsplit('/', 1)[1].split('#')[0]}"
    wait_until(lambda: client.get(detail).json["webhooks_state"] == "active", timeout=60, interval=0.2,
               what="the worker registers the webhooks")
    page.reload()
    webhooks = page.locator("#webhooks-table tbody tr")
    expect(webhooks).to_have_count(8)
    expect(page.locator("#webhooks-table .badge-ok")).to_have_count(8)
    expect(page.locator("body")).not_to_contain_text(store.secret)
    connection_id = page.url.rsplit("/", 1)[1].split("#")[0]
    assert len(store.webhooks.items) == 8

    # Edit the orders schedule.
    orders = page.locator("#schedule-orders")
    orders.get_by_text("Edit synchronization schedule").click()
    orders.get_by_label("Interval (minutes)").fill("30")
    orders.get_by_role("button", name="Save schedule").click()
    confirmation = orders.get_by_role("status")
    expect(confirmation).to_have_text("Polling of orders is now every 30 minutes.")
    expect(confirmation).to_be_in_viewport()  # where the page lands, not above it
    assert client.get(f"/api/connections/{connection_id}/schedules").json["items"][0]["interval_minutes"] == 30
    # An invalid interval comes back with its error in sight.
    orders.get_by_text("Edit synchronization schedule").click()
    orders.get_by_label("Interval (minutes)").fill("0")
    orders.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#interval-orders-error")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#interval-orders-error")).to_be_in_viewport()
    assert client.get(f"/api/connections/{connection_id}/schedules").json["items"][0]["interval_minutes"] == 30
    page.goto(f"{base}/connections/{connection_id}")

    # Sync now, through a store slowed down enough to watch the bar move to 100%.
    store.delay_next("/orders", 0.4, count=3)
    orders.get_by_role("button", name="Sync orders now").click()
    progress = page.locator("#schedule-orders .progress-block")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
    expect(progress.locator("[data-percent]")).to_have_text("100%")
    assert page.locator("#progress-orders").evaluate("bar => bar.value") == 100
    expect(progress.locator("[data-run-text]")).to_contain_text(f"{ORDERS} records stored")
    expect(page.locator("#runs tbody tr").first).to_contain_text("succeeded")  # the table follows the bar
    progress.scroll_into_view_if_needed()
    screenshot(page, "connection-sync-100")

    # The data: counts on the connection's page, the newest orders, one order with its lines.
    page.reload()
    expect(page.locator("#data")).to_contain_text(f"Orders: {ORDERS} stored")
    page.locator("#data").get_by_role("link", name="Show the newest orders").click()
    expect(page.get_by_role("heading", name="Orders of Main web shop")).to_be_visible()
    expect(page.locator("#records-table tbody tr")).to_have_count(25)
    screenshot(page, "orders")
    page.get_by_role("link", name="Older").click()
    expect(page.locator("main")).to_contain_text("page 2 of 10")
    page.locator("#records-table tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Line items")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Thing")
    screenshot(page, "order", full_page=True)
    page.goto(f"{base}/connections/{connection_id}")
    orders = page.locator("#schedule-orders")
    progress = page.locator("#schedule-orders .progress-block")

    # A sync that fails lands among the failed jobs with its reason; Retry runs it again.
    store.fail_next("/orders", 404)
    orders.get_by_role("button", name="Sync orders now").click()
    expect(progress).to_have_attribute("data-status", "failed", timeout=WAIT_MS)
    page.reload()
    failed = page.locator("#failed-jobs tbody tr")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("poll of orders for “Main web shop”")
    expect(failed).to_contain_text("The store's REST API did not find what Storelink asked for (the store answered 404")
    expect(failed).to_contain_text("What to do:")
    failed.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status").first).to_contain_text("back in its queue")
    wait_until(
        lambda: run_statuses(client, connection_id)[0] == "succeeded", timeout=WAIT_MS / 1000, what="the retried poll"
    )
    page.reload()
    expect(page.locator("#failed-jobs")).to_contain_text("No failed jobs.")
    expect(page.locator("#runs tbody tr").first).to_contain_text("succeeded")

    # The list: health at a glance, on a desktop and on a phone.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connectors").click()
    expect(page.get_by_role("heading", name="External system connectors")).to_be_visible()
    row = page.locator("tbody tr", has_text="Main web shop")
    expect(row).to_contain_text("8 of 8 active")
    expect(row).to_contain_text("Stockholm")
    screenshot(page, "connectors")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling on a phone"
    screenshot(page, "connectors-phone")
    page.goto(f"{base}/connections/{connection_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#webhooks-summary")).to_contain_text("8 of 8 active")
    expect(page.locator("#webhooks-table")).to_be_hidden()  # one line, not eight cards
    screenshot(page, "connection-phone", full_page=True)
    for path in ("orders", "orders?page=2"):
        page.goto(f"{base}/connections/{connection_id}/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#records-table tbody tr a").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "order-phone", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/connections/{connection_id}")

    # Delete, after a confirmation that says what happens to the store's webhooks.
    page.get_by_role("link", name="Delete connection").click()
    expect(page.get_by_text("remove its 8 webhooks from the store")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"The {ORDERS} orders and 0 products stored from it are kept")
    page.get_by_role("button", name="Delete connection").click()
    expect(page.get_by_role("status").first).to_contain_text("deleted; 8 webhooks removed from the store")
    expect(page.locator("main")).to_contain_text("No store is connected yet.")
    assert store.webhooks.items == {}
    # What it stored stays readable, as a removed connection's.
    page.locator("#removed").get_by_role("link", name="orders").click()
    expect(page.locator("main")).to_contain_text("This connection was removed")
    expect(page.locator("#records-table tbody tr")).to_have_count(25)

    # Signing out ends it.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_keyboard_users_can_skip_to_the_content_and_see_where_focus_is(app, environment, page):
    base = environment["PUBLIC_URL"]
    page.goto(f"{base}/sign-in")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="External system connectors")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused element shows a focus ring"


def test_on_a_phone_a_failed_verification_fits_the_screen(app, environment, store, page):
    base = environment["PUBLIC_URL"]
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/sign-in")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="External system connectors")).to_be_visible()
    page.goto(f"{base}/connections/new")
    page.get_by_label("Name").fill("Main web shop")
    page.get_by_label("API URL").fill(store.base_url)
    page.get_by_label("Access token (consumer key)").fill(store.key)
    page.get_by_label("Secret (consumer secret)").fill("cs_" + "0" * 40)
    store.fail_next("system_status", 403, count=3, body={"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 403}})
    page.get_by_role("button", name="Verify connection").click()
    result = page.locator("#verification-result")
    expect(result).to_contain_text("Diagnosis code:")
    assert result.evaluate("box => box.scrollWidth <= box.clientWidth"), "the diagnosis fits its box"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "new-connection-error-phone", full_page=True)
    # A diagnosis that quotes a long address (the REST root a store announces) wraps too.
    page.get_by_label("API URL").fill(store.base_url + "/ashopbelowthehomewhoseaddressismuchwiderthanaphonescreen")
    page.get_by_label("Secret (consumer secret)").fill(store.secret)
    page.get_by_role("button", name="Verify connection").click()
    expect(result).to_have_attribute("data-code", "not_woocommerce")
    screenshot(page, "new-connection-long-diagnosis-phone", full_page=True)
    assert result.evaluate("box => box.scrollWidth <= box.clientWidth"), "the diagnosis fits its box"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_newcomer_connects_the_demo_store_and_watches_an_order_arrive_by_webhook(
    app, environment, worker, demo_store, page, client
):
    """README's "Try it without a store": bin/demo-store, the console's form, `bin/demo-store order new`."""
    base = environment["PUBLIC_URL"]
    state, output = demo_store
    banner = pasted(output.read_text())
    page.goto(f"{base}/sign-in")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Create new connection").first.click()
    page.get_by_label("Name").fill("Demo store")
    page.get_by_label("API URL").fill(banner["api_url"])
    page.get_by_label("Access token (consumer key)").fill(banner["access_token"])
    page.get_by_label("Secret (consumer secret)").fill(banner["secret"])
    page.get_by_role("button", name="Verify connection").click()
    expect(page.locator("#verification-result")).to_have_attribute("data-code", "ok")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Demo store", level=1)).to_be_visible()
    connection_id = page.url.rsplit("/", 1)[1].split("#")[0]
    wait_until(lambda: client.get(f"/api/connections/{connection_id}").json["webhooks_state"] == "active",
               timeout=20, interval=0.2, what="the worker registers the webhooks")
    page.reload()
    expect(page.locator("#data [data-entity=orders]")).to_contain_text("0 stored")

    order_id = re.match(r"order (\d+) created", change(state, "order", "new")).group(1)

    def order_shown() -> bool:
        page.reload()
        return "Orders: 1 stored" in page.locator("#data").inner_text()

    wait_until(order_shown, timeout=20, interval=0.5, what="the new order on the connection's page")
    page.locator("#data").get_by_role("link", name="Show the newest orders").click()
    expect(page.get_by_role("heading", name="Orders of Demo store")).to_be_visible()
    rows = page.locator("#records-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{order_id}")
    expect(rows.first).to_contain_text("processing")
    screenshot(page, "demo-order")
    assert run_statuses(client, connection_id) == [], "no poll ran: the order came by webhook"
    assert f"delivered order.created of #{order_id}" in output.read_text()
