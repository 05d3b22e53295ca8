"""Console details an operator trips over: messages where the page lands, the form's order and
labels, URLs that wrap between their parts, webhooks summarised, the cause of a failing poll in
the list, and one default order start for the console and the API."""

import re
from datetime import UTC, datetime, time

from console.display import url_text
from jobs import poll_waits
from stores.woocommerce.client import RetryPolicy
from tests.test_console import console, form, post, text  # noqa: F401  (console is a fixture)
from tests.test_polling import sync


def card(page: str, card_id: str) -> str:
    """The HTML of the schedule card with that id (up to the next card or section)."""
    start = page.index(f'id="{card_id}"')
    end = min(i for i in (page.find('<div class="card"', start + 1), page.find("</section>", start)) if i != -1)
    return page[start:end]


def test_a_saved_schedule_is_confirmed_in_its_card_where_the_page_lands(console, connect):  # noqa: F811
    connection = connect()
    response = post(console, f"/connections/{connection['id']}/schedules/orders", {"interval_minutes": "30", "active": "on"})
    assert response.headers["Location"].endswith("#schedule-orders")
    page = text(console.get(response.headers["Location"]))
    assert "Polling of orders is now every 30 minutes." in card(page, "schedule-orders")
    assert "Polling of orders" not in page[: page.index('id="schedule-orders"')]  # not at the top, out of sight


def test_sync_now_is_confirmed_in_the_entitys_card(console, connect):  # noqa: F811
    connection = connect()
    response = post(console, f"/connections/{connection['id']}/sync", {"entity": "products"})
    assert response.headers["Location"].endswith("#schedule-products")
    page = text(console.get(response.headers["Location"]))
    assert "Sync of products started." in card(page, "schedule-products")


def test_an_invalid_interval_comes_back_at_its_card_with_the_error_there(console, connect):  # noqa: F811
    connection = connect()
    page = text(console.get(f"/connections/{connection['id']}"))
    assert f'action="/connections/{connection["id"]}/schedules/orders#schedule-orders"' in page
    response = post(console, f"/connections/{connection['id']}/schedules/orders", {"interval_minutes": "0"})
    assert response.status_code == 422
    orders = card(text(response), "schedule-orders")
    assert "The schedule was not saved" in orders and "autofocus" in orders
    assert 'id="interval-orders-error"' in orders


def test_the_error_summary_uses_the_forms_labels_in_the_forms_order(console, store):  # noqa: F811
    response = post(
        console,
        "/connections/new",
        {**form(store, name="", api_url="not a url", access_token="nope", secret="nope"), "action": "verify"},
        page="/connections/new",
    )
    page = text(response)
    summary = page[page.index("Check these fields") : page.index("</ul>")]
    labels = re.findall(r'<a href="#(\w+)">([^:]+):', summary)
    assert [label for _, label in labels] == ["API URL", "Access token (consumer key)", "Secret (consumer secret)"]
    fields = [page.index(f'id="{name}"') for name in ("name", "api_url", "access_token", "secret")]
    assert fields == sorted(fields)  # the URL first, then the key and its secret together


def test_store_urls_wrap_between_their_parts_never_inside_the_port():
    assert url_text("https://shop.example.com:8443/shop") == "https://shop<wbr>.example<wbr>.com:8443<wbr>/shop"
    assert url_text("http://<b>.example") == "http://&lt;b&gt;<wbr>.example"


def test_webhooks_are_summarised_and_open_only_when_one_needs_a_look(console, connect, store):  # noqa: F811
    connection = connect()
    page = text(console.get(f"/connections/{connection['id']}"))
    assert '<span class="badge badge-ok">8 of 8 active</span>' in page
    assert '<details class="webhook-details">' in page  # closed
    store.webhooks.items.pop(min(store.webhooks.items))
    page = text(console.get(f"/connections/{connection['id']}"))
    assert '<span class="badge badge-warn">7 of 8 active</span>' in page
    assert '<details class="webhook-details" open>' in page


def test_the_list_says_the_store_is_not_answering_rather_than_counting_a_failed_job(
    console, client, connect, store, run_jobs, monkeypatch  # noqa: F811
):
    connection = connect()
    monkeypatch.setattr(poll_waits, "STORE_WAITS", RetryPolicy(attempts=1))
    store.stop()
    sync(client, connection["id"], "orders")
    run_jobs()
    page = text(console.get("/"))
    assert '<span class="badge badge-bad">Store not answering</span>' in page
    assert '<span class="small">1 failed job</span>' in page
    assert '<span class="badge badge-ok">OK</span>' not in page


def test_the_console_and_the_api_start_orders_at_midnight_utc_today(console, client, store):  # noqa: F811
    today = datetime.now(UTC).date()
    page = text(console.get("/connections/new"))
    assert f'name="order_start" type="date" value="{today.isoformat()}"' in page
    body = {"name": "Shop", "external_system": "woocommerce", "api_url": store.base_url, "access_token": store.key, "secret": store.secret}
    connection = client.post("/api/connections", json=body).json  # no order_start: the API's default
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    assert connection["order_start"] == midnight.isoformat().replace("+00:00", "Z")
