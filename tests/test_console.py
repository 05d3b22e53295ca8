"""The operator console through Flask's test client: sign-in, cookies, CSRF, the verify-then-save
form, schedules, sync progress, failed jobs and deleting, against the store emulator."""

import logging
import re
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from console.display import url_text
from console.templating import every, relative
from db.models import Connection
from db.session import transaction
from jobs.queues import EVENTS_QUEUE, POLLS_QUEUE, queue
from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from tests.factories import make_connection
from web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(console, token: str = ADMIN_TOKEN):
    page = console.get("/sign-in").get_data(as_text=True)
    return console.post("/sign-in", data={"token": token, "csrf_token": csrf_of(page)})


def post(console, path: str, data: dict | None = None, *, page: str = "/"):
    """POST a console form the way a browser does: with the CSRF token of a page it just loaded."""
    token = csrf_of(console.get(page).get_data(as_text=True))
    return console.post(path, data={**(data or {}), "csrf_token": token})


@pytest.fixture
def console(app):
    """A browser-like client, signed in."""
    browser = app.test_client()
    assert sign_in(browser).status_code == 302
    return browser


def form(store, **changes) -> dict:
    return {
        "name": "Main web shop",
        "external_system": "woocommerce",
        "access_token": store.key,
        "api_url": store.base_url,
        "secret": store.secret,
        "order_start": "2020-01-01",
        "warehouse": "Main",
        "company_group": "",
        **changes,
    }


def text(response) -> str:
    return response.get_data(as_text=True)


# -- signing in ---------------------------------------------------------------------------


def test_pages_need_sign_in_and_return_to_the_page_asked_for(anonymous):
    assert anonymous.get("/").headers["Location"] == "/sign-in"
    response = anonymous.get("/connections/abc")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/connections/abc"
    signed = anonymous.post(
        "/sign-in",
        data={"token": ADMIN_TOKEN, "next": "/connections/abc", "csrf_token": csrf_of(text(anonymous.get("/sign-in")))},
    )
    assert signed.headers["Location"] == "/connections/abc"


def test_a_wrong_token_is_refused_with_the_message_tied_to_the_field(anonymous):
    response = sign_in(anonymous, "not-the-token")
    assert response.status_code == 401
    page = text(response)
    assert 'id="token-error"' in page
    assert 'aria-describedby="token-error"' in page
    assert 'aria-invalid="true"' in page
    assert anonymous.get("/").status_code == 302


def test_sign_in_sets_an_httponly_samesite_cookie_not_secure_on_plain_http(anonymous):
    cookie = sign_in(anonymous).headers["Set-Cookie"]
    assert cookie.startswith("storelink_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize(
    ("public_url", "base_url"),
    [("https://console.example.com", "http://localhost"), ("http://localhost:5000", "https://localhost")],
)
def test_the_session_cookie_is_secure_behind_https(environment, public_url, base_url):
    app = create_app({"public_url": public_url})
    browser = app.test_client()
    page = text(browser.get("/sign-in", base_url=base_url))
    response = browser.post("/sign-in", data={"token": ADMIN_TOKEN, "csrf_token": csrf_of(page)}, base_url=base_url)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_session_key_is_derived_from_secret_key_not_equal_to_it(app):
    assert app.secret_key
    assert SECRET_KEY not in app.secret_key


def test_sign_out_ends_the_session(console):
    response = post(console, "/sign-out")
    assert response.headers["Location"] == "/sign-in"
    assert console.get("/").status_code == 302


def stored_session(redis_client, session_id: str) -> bytes | None:
    return redis_client.get(f"storelink:console-session:{session_id}")


def test_a_cookie_copied_before_sign_out_signs_no_one_in_after_it(app, console, redis_client):
    copied = console.get_cookie("storelink_console").value
    post(console, "/sign-out")
    assert stored_session(redis_client, copied) is None
    thief = app.test_client()
    thief.set_cookie("storelink_console", copied)
    assert thief.get("/").status_code == 302
    assert thief.get("/connections/new").status_code == 302


def test_the_cookie_carries_only_a_random_id_and_signing_in_replaces_it(anonymous, redis_client):
    anonymous.get("/sign-in")
    before = anonymous.get_cookie("storelink_console").value
    assert 0 < redis_client.ttl(f"storelink:console-session:{before}") <= 3600  # anyone can make one: an hour
    sign_in(anonymous)
    after = anonymous.get_cookie("storelink_console").value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", after) and after != before
    assert stored_session(redis_client, before) is None  # nothing planted before sign-in survives it
    assert b'"operator"' in stored_session(redis_client, after)


def test_a_session_ends_twelve_hours_after_sign_in_however_busy_the_operator(console, redis_client):
    session_id = console.get_cookie("storelink_console").value
    key = f"storelink:console-session:{session_id}"
    assert 12 * 3600 - 60 < redis_client.ttl(key) <= 12 * 3600
    redis_client.expire(key, 100)
    # Neither reading pages nor changing the session (a flashed message) extends it.
    connection_id = make_connection()
    assert "Set-Cookie" not in console.get("/").headers
    flashed = post(console, f"/connections/{connection_id}/sync", {"entity": "nothing"})
    assert "Set-Cookie" not in flashed.headers
    assert "Nothing to sync" in text(console.get(f"/connections/{connection_id}"))
    assert 0 < redis_client.ttl(key) <= 100
    redis_client.delete(key)  # as Redis does when it expires
    assert console.get("/").status_code == 302


def test_changing_the_admin_token_signs_operators_out(environment, console):
    rotated = create_app({"admin_token": "a-new-admin-token-of-32-characters"}).test_client()
    # The same browser (cookie) against an app with another admin token.
    rotated.set_cookie("storelink_console", console.get_cookie("storelink_console").value)
    assert rotated.get("/").status_code == 302
    same = create_app().test_client()
    same.set_cookie("storelink_console", console.get_cookie("storelink_console").value)
    assert same.get("/").status_code == 200


def test_operators_stay_signed_in_across_a_secret_key_rotation(environment, console):
    rotated = create_app({"secret_key": f"a-new-secret-key,{SECRET_KEY}"}).test_client()
    rotated.set_cookie("storelink_console", console.get_cookie("storelink_console").value)
    assert rotated.get("/").status_code == 200
    dropped = create_app({"secret_key": "a-new-secret-key"}).test_client()
    dropped.set_cookie("storelink_console", console.get_cookie("storelink_console").value)
    assert dropped.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_after_sign_in_only_pages_of_this_site_are_returned_to(anonymous, target):
    page = text(anonymous.get("/sign-in"))
    response = anonymous.post("/sign-in", data={"token": ADMIN_TOKEN, "next": target, "csrf_token": csrf_of(page)})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "query", ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%0D%2Fevil.example", "%2F%00", "%2F%C3%A9"]
)
def test_a_next_with_control_characters_returns_to_the_start_page(anonymous, query, caplog):
    # Werkzeug drops a tab from a Location (`/<tab>/evil.example` became `//evil.example`) and
    # refuses a newline (500); the sign-in page carries `next` into its form unchanged.
    page = text(anonymous.get(f"/sign-in?next={query}"))
    assert "evil.example" not in page
    target = urllib.parse.unquote(query)
    response = anonymous.post("/sign-in", data={"token": ADMIN_TOKEN, "next": target, "csrf_token": csrf_of(page)})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


# -- CSRF and headers ---------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_every_form_needs_the_sessions_csrf_token(console, anonymous, token):
    data = {} if token is None else {"csrf_token": token}
    assert console.post("/connections/new", data={**data, "action": "verify"}).status_code == 400
    assert console.post("/sign-out", data=data).status_code == 400
    assert console.get("/").status_code == 200  # still signed in
    # Signing in takes one too (no logging someone into an attacker's session).
    anonymous.get("/sign-in")
    assert anonymous.post("/sign-in", data={**data, "token": ADMIN_TOKEN}).status_code == 400


def test_another_sessions_token_does_not_do(app, console):
    other = app.test_client()
    foreign = csrf_of(text(other.get("/sign-in")))
    assert console.post("/sign-out", data={"csrf_token": foreign}).status_code == 400


def test_pages_are_not_cached_framed_or_allowed_inline_scripts(console):
    response = console.get("/connections/new")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in text(response)


@pytest.mark.parametrize("connection_id", ["nope", "abc%00def"])
def test_unknown_connections_answer_an_html_404(console, connection_id):
    response = console.get(f"/connections/{connection_id}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Connection not found" in text(response)


# -- the new connection form --------------------------------------------------------------


def test_the_empty_form_defaults_to_woocommerce_and_today_with_save_disabled(console):
    page = text(console.get("/connections/new"))
    for label in (
        "Name",
        "External system",
        "Access token (consumer key)",
        "API URL",
        "Secret (consumer secret)",
        "Order start",
        "Warehouse",
        "Company group",
    ):
        assert f">{label}<" in page or f">{label} <" in page, label
    assert "Settings → Advanced → REST API" in page
    assert "Read/Write" in page
    assert "Permalinks" in page
    assert f'value="{datetime.now(UTC).date().isoformat()}"' in page
    assert re.search(r'value="save"[^>]*data-save\s+disabled', page)


def test_invalid_fields_are_named_under_each_field_and_in_a_summary(console):
    response = post(
        console,
        "/connections/new",
        {"action": "verify", "api_url": "ftp://shop", "access_token": "cs_wrong", "secret": ""},
    )
    assert response.status_code == 422
    page = text(response)
    for field in ("api_url", "access_token", "secret"):
        assert f'id="{field}-error"' in page
        assert re.search(
            rf'id="{field}" name="{field}"[^>]*aria-describedby="{field}-hint {field}-error"[^>]*aria-invalid="true"',
            page,
        )
        assert f'href="#{field}"' in page  # the summary links to the field
    assert "must be a WooCommerce consumer key starting with &#39;ck_&#39;" in page
    assert "This field is required." in page


def test_a_wrong_secret_shows_the_cause_and_what_to_do_and_saves_nothing(console, client, store):
    response = post(console, "/connections/new", {**form(store, secret="cs_" + "0" * 40), "action": "verify"})
    page = text(response)
    assert 'data-code="invalid_credentials"' in page
    assert "The store rejected the keys" in page
    assert "provided signature does not match" in page  # the store's own words
    assert "What to do:" in page
    assert re.search(r'value="save"[^>]*data-save\s+disabled', page)
    assert client.get("/api/connections").json["items"] == []


def test_save_without_a_verification_is_refused(console, client, store):
    response = post(console, "/connections/new", {**form(store), "action": "save"}, page="/connections/new")
    assert response.status_code == 409
    assert "Verify the connection first" in text(response)
    assert client.get("/api/connections").json["items"] == []
    assert store.webhooks.items == {}


def test_save_is_refused_when_the_keys_changed_after_verifying(console, client, store):
    post(console, "/connections/new", {**form(store), "action": "verify"}, page="/connections/new")
    other_key, other_secret = store.new_key()  # valid too, but never verified
    response = console.post(
        "/connections/new",
        data={
            **form(store, access_token=other_key, secret=other_secret),
            "action": "save",
            "csrf_token": csrf_of(text(console.get("/"))),
        },
    )
    assert response.status_code == 409
    assert client.get("/api/connections").json["items"] == []


def test_verify_then_save_connects_the_store_and_never_shows_the_secret(console, client, store, run_jobs):
    verified = post(console, "/connections/new", {**form(store), "action": "verify"}, page="/connections/new")
    page = text(verified)
    assert verified.status_code == 200
    assert "Connection verified" in page
    assert "WooCommerce 9.9.5 on WordPress 6.9" in page
    assert re.search(r'value="save"[^>]*data-save>', page), "Save is enabled"
    assert "data-verified" in page
    # Verifying twice, or after editing only the name, still lets the same keys save.
    saved = console.post(
        "/connections/new", data={**form(store, name="Renamed shop"), "action": "save", "csrf_token": csrf_of(page)}
    )
    assert saved.status_code == 302, text(saved)
    connection_id = saved.headers["Location"].rsplit("/", 1)[1]
    [connection] = client.get("/api/connections").json["items"]
    assert connection["id"] == connection_id
    assert connection["name"] == "Renamed shop"
    assert connection["order_start"] == "2020-01-01T00:00:00Z"
    assert connection["company_group"] is None
    detail = text(console.get(saved.headers["Location"]))
    assert "saved; its 8 webhooks are being registered on the store" in detail
    assert detail.count('<span class="badge badge-muted">registering</span>') == 8
    assert run_jobs() == 1
    assert len(store.webhooks.items) == 8
    detail = text(console.get(saved.headers["Location"]))
    assert store.secret not in detail
    assert detail.count('<span class="badge badge-ok">active</span>') == 8
    # The verification is used up: saving again needs another one.
    again = console.post("/connections/new", data={**form(store), "action": "save", "csrf_token": csrf_of(detail)})
    assert again.status_code == 409


def test_private_store_urls_are_a_field_error_when_not_allowed(environment, store):
    app = create_app({"allow_private_store_urls": False})
    browser = app.test_client()
    sign_in(browser)
    response = post(browser, "/connections/new", {**form(store), "action": "verify"})
    assert response.status_code == 422
    assert 'id="api_url-error"' in text(response)


# -- the list and a connection's page -----------------------------------------------------


def test_the_list_shows_health_from_the_database_without_asking_the_store(console, connect, store):
    connect(name="Shop A", warehouse="Stockholm")
    asked = len(store.requests)
    page = text(console.get("/"))
    assert len(store.requests) == asked
    assert "External system connectors" in page
    assert "Shop A" in page and "Stockholm" in page and url_text(store.base_url) in page
    assert "8 of 8 active" in page
    assert 'Orders: <span class="muted">never</span>' in page
    assert '<span class="badge badge-ok">OK</span>' in page


def test_the_list_counts_failed_jobs_and_needs_attention(console, redis_client, run_jobs):
    connection_id = make_connection()
    queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event",
        connection_id,
        "order",
        "updated",
        {"id": 5, "date_modified_gmt": "soon"},
        datetime.now(UTC).isoformat(),
    )
    run_jobs()
    page = text(console.get("/"))
    assert "1 failed job<" in page


def test_an_unreachable_store_is_said_so_on_the_connection_page(console, connect, store):
    connection = connect()
    store.fail_next("webhooks", 503, count=10)
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "Store unreachable" in page
    assert "(recorded)" in page


def test_webhooks_the_store_lost_are_shown_missing(console, connect, store):
    connection = connect()
    store.webhooks.items.pop(min(store.webhooks.items))
    page = text(console.get(f"/connections/{connection['id']}"))
    assert page.count('<span class="badge badge-bad">missing</span>') == 1


# -- schedules, sync and failed jobs ------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("99999", "less than or equal to 10080"),
        ("9" * 5000, "Not a valid integer"),
        ("²", "Not a valid integer"),
        ("soon", "Not a valid integer"),
        ("", "Not a valid integer"),
    ],
)
def test_schedules_are_validated_as_the_api_validates_them(console, connect, client, interval, message):
    connection = connect()
    response = post(
        console, f"/connections/{connection['id']}/schedules/orders", {"interval_minutes": interval, "active": "on"}
    )
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'id="interval-orders-error"' in page
    assert [
        s["interval_minutes"] for s in client.get(f"/api/connections/{connection['id']}/schedules").json["items"]
    ] == [60, 1440]


def test_a_schedule_change_is_saved_like_the_api_saves_it(console, connect, client):
    connection = connect()
    response = post(console, f"/connections/{connection['id']}/schedules/orders", {"interval_minutes": "30"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#schedule-orders")
    schedules = client.get(f"/api/connections/{connection['id']}/schedules").json["items"]
    assert (schedules[0]["interval_minutes"], schedules[0]["active"], schedules[0]["next_poll_at"]) == (30, False, None)
    assert "Polling of orders is now paused." in text(console.get(f"/connections/{connection['id']}"))
    assert (
        post(console, f"/connections/{connection['id']}/schedules/customers", {"interval_minutes": "30"}).status_code
        == 404
    )


def test_a_connection_without_a_schedule_row_answers_404_not_500(console, environment):
    connection_id = make_connection()
    with transaction(environment["DATABASE_URL"]) as session:
        connection = session.scalar(select(Connection).where(Connection.public_id == connection_id))
        connection.schedules.clear()
    response = post(console, f"/connections/{connection_id}/schedules/orders", {"interval_minutes": "30"})
    assert response.status_code == 404
    assert "no schedule" in text(response)


def test_sync_now_shows_progress_that_ends_at_100_percent(console, connect, client, store, run_jobs):
    connection = connect()
    for _ in range(3):
        store.create_order()
    response = post(console, f"/connections/{connection['id']}/sync", {"entity": "orders"})
    assert response.headers["Location"].endswith("#schedule-orders")
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "Sync of orders started." in page
    assert "<progress" in page and "Queued: waiting for a worker" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page  # works without JS
    run_url = re.search(r'data-run-url="([^"]+)"', page).group(1)
    [run] = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
    assert console.get(run_url).json == run
    again = post(console, f"/connections/{connection['id']}/sync", {"entity": "orders"})
    assert "already under way" in text(console.get(again.headers["Location"]))
    run_jobs()
    progress = console.get(run_url).json
    assert progress == client.get(f"/api/connections/{connection['id']}/sync-runs/{run['run_id']}").json
    assert progress["status"] == "succeeded" and progress["records"] == 3
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "Done: 2 pages, 3 records stored" in page
    assert "<noscript><meta" not in page


def test_a_sync_waiting_for_its_store_says_what_it_waits_for(console, connect, client, store, run_jobs):
    connection = connect()
    store.fail_next("/orders", 503, retry_after=60)
    post(console, f"/connections/{connection['id']}/sync", {"entity": "orders"})
    run_jobs()
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "Running, store failing (the store answered 503" in page
    assert "retry 1 of 5 in 60 s, at " in page


def test_the_progress_endpoint_needs_the_session(anonymous, console, connect):
    connection = connect()
    response = anonymous.get(f"/connections/{connection['id']}/sync-runs/nope.json")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    missing = console.get(f"/connections/{connection['id']}/sync-runs/nope.json")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"


def test_a_failed_job_shows_its_reason_and_retry_puts_it_back(console, client, redis_client, run_jobs):
    connection_id = make_connection()
    other_id = make_connection()
    job = queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event",
        connection_id,
        "order",
        "updated",
        {"id": 5, "date_modified_gmt": "soon"},
        datetime.now(UTC).isoformat(),
    )
    run_jobs()
    # The admin API's status reads the same registry.
    [failed] = client.get(f"/api/connections/{connection_id}/status").json["jobs"]["failed"]
    assert failed["job_id"] == job.id and "date_modified_gmt" in failed["reason"]
    page = text(console.get(f"/connections/{connection_id}"))
    assert "date_modified_gmt" in page
    assert f"/failed-jobs/{job.id}/retry" in page
    # Another connection's page cannot retry it.
    refused = post(console, f"/connections/{other_id}/failed-jobs/{job.id}/retry")
    assert "no longer failed" in text(console.get(refused.headers["Location"]))
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).get_job_ids() == [job.id]
    retried = post(console, f"/connections/{connection_id}/failed-jobs/{job.id}/retry")
    assert retried.headers["Location"].endswith("#failed-jobs")
    assert "back in its queue" in text(console.get(retried.headers["Location"]))
    assert FailedJobRegistry(EVENTS_QUEUE, connection=redis_client).get_job_ids() == []
    assert queue(EVENTS_QUEUE, redis_client).job_ids == [job.id]
    assert client.get(f"/api/connections/{connection_id}/status").json["jobs"]["failed"] == []


def test_retrying_a_failed_poll_runs_it_again(console, connect, client, store, redis_client, run_jobs):
    connection = connect()
    store.create_order()
    store.fail_next("/orders", 404)
    post(console, f"/connections/{connection['id']}/sync", {"entity": "orders"})
    run_jobs()
    [run] = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
    assert run["status"] == "failed"
    [job_id] = FailedJobRegistry(POLLS_QUEUE, connection=redis_client).get_job_ids()
    assert "404" in text(console.get(f"/connections/{connection['id']}"))
    post(console, f"/connections/{connection['id']}/failed-jobs/{job_id}/retry")
    run_jobs()
    [run] = client.get(f"/api/connections/{connection['id']}/sync-runs").json["items"]
    assert run["status"] == "succeeded"


# -- editing ------------------------------------------------------------------------------


def test_editing_plain_fields_does_not_ask_the_store(console, connect, client, store):
    connection = connect()
    edit = f"/connections/{connection['id']}/edit"
    page = text(console.get(edit))
    assert f"Leave blank to keep {connection['access_token']}" in page
    assert store.secret not in page
    asked = len(store.requests)
    response = post(
        console,
        edit,
        {"name": "Renamed", "api_url": store.base_url, "warehouse": "", "company_group": "Nordics"},
        page=edit,
    )
    assert response.status_code == 302
    assert len(store.requests) == asked
    saved = client.get(f"/api/connections/{connection['id']}").json
    assert (saved["name"], saved["warehouse"], saved["company_group"]) == ("Renamed", None, "Nordics")
    assert "Connection updated." in text(console.get(response.headers["Location"]))


def test_an_untouched_order_start_keeps_its_time_of_day(console, connect, client, store):
    connection = connect(order_start="2026-11-27T10:30:00Z")
    edit = f"/connections/{connection['id']}/edit"
    assert 'value="2026-11-27"' in text(console.get(edit))
    post(console, edit, {"name": "Renamed", "api_url": store.base_url, "order_start": "2026-11-27"}, page=edit)
    assert client.get(f"/api/connections/{connection['id']}").json["order_start"] == "2026-11-27T10:30:00Z"
    post(console, edit, {"name": "Renamed", "api_url": store.base_url, "order_start": "2026-11-01"}, page=edit)
    assert client.get(f"/api/connections/{connection['id']}").json["order_start"] == "2026-11-01T00:00:00Z"


def test_new_keys_that_the_store_rejects_change_nothing(console, connect, client, store):
    connection = connect()
    edit = f"/connections/{connection['id']}/edit"
    response = post(
        console, edit, {"name": "Renamed", "api_url": store.base_url, "secret": "cs_" + "0" * 40}, page=edit
    )
    page = text(response)
    assert 'data-code="invalid_credentials"' in page
    assert "nothing was changed" in page
    assert client.get(f"/api/connections/{connection['id']}").json["name"] == "Test store"
    assert {hook.secret for hook in store.webhooks.items.values()} == {store.secret}


def test_new_keys_are_verified_and_the_webhooks_take_the_new_secret(console, connect, client, store):
    connection = connect()
    key, secret = store.new_key()
    edit = f"/connections/{connection['id']}/edit"
    response = post(
        console,
        edit,
        {"name": "Test store", "api_url": store.base_url, "access_token": key, "secret": secret},
        page=edit,
    )
    assert response.status_code == 302
    assert "the store accepted the new keys" in text(console.get(response.headers["Location"]))
    assert client.get(f"/api/connections/{connection['id']}").json["access_token"] == f"ck_…{key[-4:]}"
    assert {hook.secret for hook in store.webhooks.items.values()} == {secret}


def test_edit_errors_are_named_under_their_fields(console, connect):
    connection = connect()
    edit = f"/connections/{connection['id']}/edit"
    response = post(console, edit, {"name": " ", "api_url": "ftp://x", "access_token": "nope"}, page=edit)
    assert response.status_code == 422
    page = text(response)
    for field in ("name", "api_url", "access_token"):
        assert f'id="{field}-error"' in page



@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"])
def test_an_order_start_beyond_the_calendar_in_utc_is_named_under_its_field(console, connect, store, moment, caplog):
    new = post(console, "/connections/new", {**form(store, order_start=moment), "action": "verify"})
    connection = connect()
    edit = f"/connections/{connection['id']}/edit"
    edited = post(console, edit, {"name": "Shop", "api_url": store.base_url, "order_start": moment}, page=edit)
    for response in (new, edited):
        assert response.status_code == 422
        page = text(response)
        assert 'id="order_start-error"' in page
        assert "must fall between 0001-01-01 and 9999-12-31 once converted to UTC" in page
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


# -- deleting -----------------------------------------------------------------------------


def test_delete_asks_first_then_removes_the_stores_webhooks(console, connect, client, store):
    connection = connect()
    confirm = text(console.get(f"/connections/{connection['id']}/delete"))
    assert "remove its 8 webhooks from the store" in confirm
    assert store.webhooks.items  # asking changed nothing
    response = post(console, f"/connections/{connection['id']}/delete", page=f"/connections/{connection['id']}/delete")
    assert response.headers["Location"] == "/"
    assert "deleted; 8 webhooks removed from the store" in text(console.get("/"))
    assert store.webhooks.items == {}
    assert client.get("/api/connections").json["items"] == []


# -- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-5), "5 min ago"),
        (timedelta(hours=3), "in 3 h"),
        (timedelta(days=-1), "1 day ago"),
        (timedelta(days=-3, hours=-2), "3 days ago"),
    ],
)
def test_times_read_relative_to_now(offset, words):
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert relative(now + offset, now) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(1, "every minute"), (5, "every 5 minutes"), (60, "every hour"), (90, "every 90 minutes"), (120, "every 2 hours"), (1440, "every day"),
     (10080, "every 7 days")],
)
def test_intervals_read_in_words(minutes, words):
    assert every(minutes) == words


def test_the_api_and_the_receiver_neither_read_nor_refresh_the_console_cookie(console):
    # `console` is signed in: its cookie goes with every request.
    assert console.get("/").status_code == 200
    assert console.get("/api/connections").status_code == 401  # the API wants its token, not the cookie
    assert "Set-Cookie" not in console.get("/api/connections").headers
    assert "Set-Cookie" not in console.post("/webhooks/woocommerce/unknown", data=b"{}").headers
