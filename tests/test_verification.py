"""Verification finds the auth mode that works and names the cause precisely when none does."""

import logging

import pytest

from tests.services import LiveServer, free_port
from tests.woo_emulator import WooEmulator


def verify(client, store, **overrides):
    body = {"api_url": store.base_url, "access_token": store.key, "secret": store.secret, **overrides} if store else overrides
    response = client.post("/api/connections/verify", json=body)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def https_store(app):
    with WooEmulator(https=True) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


@pytest.fixture
def trust(app, https_store):
    """Make the app trust the https emulator's certificate (as STORE_CA_BUNDLE would)."""
    resources = app.extensions["storelink"]
    original = resources.settings
    app.extensions["storelink"] = type(resources)(
        settings=original.with_overrides({"store_ca_bundle": https_store.ca_file}), vault=resources.vault
    )
    yield
    app.extensions["storelink"] = resources


def test_http_store_verifies_with_oauth1_and_reports_versions(client, store):
    result = verify(client, store)
    assert result["ok"] is True
    assert result["store"]["auth_mode"] == "oauth1"
    assert result["store"]["version"] == "9.9.5"
    assert result["store"]["wp_version"] == "6.9"


def test_https_store_verifies_with_basic_auth(client, https_store, trust):
    assert verify(client, https_store)["store"]["auth_mode"] == "basic"


def test_host_that_strips_authorization_falls_back_to_query_string_keys(client, https_store, trust):
    https_store.strip_authorization_header = True
    assert verify(client, https_store)["store"]["auth_mode"] == "query_string"


def test_tls_terminating_proxy_falls_back_to_oauth(client, https_store, trust):
    https_store.is_ssl = False
    assert verify(client, https_store)["store"]["auth_mode"] == "oauth1"


def test_oauth_is_signed_for_the_stores_home_url_not_the_address_used(client, store):
    store.home_url = f"http://localhost:{store.port}"
    assert verify(client, store)["store"]["auth_mode"] == "oauth1"


@pytest.mark.parametrize(
    ("arrange", "code", "words"),
    [
        (lambda s: setattr(s, "secret", "cs_" + "0" * 40), "invalid_credentials", "signature does not match"),
        (lambda s: setattr(s, "key", "ck_" + "0" * 40), "invalid_credentials", "Consumer key is invalid"),
        (lambda s: setattr(s, "woocommerce_active", False), "not_woocommerce", "WooCommerce"),
        (lambda s: s.fail_next("system_status", 503), "unexpected_response", "503"),
        (lambda s: s.fail_next("wp-json/", 301, body=""), "unexpected_response", "redirect"),
    ],
    ids=["wrong-secret", "unknown-key", "no-woocommerce", "store-error", "redirect"],
)
def test_failures_are_diagnosed(client, store, arrange, code, words):
    arrange(store)
    result = verify(client, store)
    assert result["ok"] is False
    assert result["error"]["code"] == code
    assert words in result["error"]["message"]


def test_plain_permalinks_behind_nginx_are_diagnosed_by_the_announced_rest_root(client, store):
    store.permalinks = "plain"  # /wp-json/ answers 200 with the home page, its Link names index.php?rest_route=/
    result = verify(client, store)
    assert result["error"]["code"] == "rest_api_disabled"
    assert "Settings → Permalinks" in result["error"]["message"]


def test_plain_permalinks_behind_a_server_that_404s_by_itself_are_still_found(client, store):
    store.permalinks = "plain"
    store.fail_next("/wp-json/", 404)  # the web server's own 404 page: no WordPress, no Link
    assert verify(client, store)["error"]["code"] == "rest_api_disabled"


def test_an_api_url_with_an_extra_path_is_refused_naming_the_stores_root(client, store):
    result = verify(client, store, api_url=store.base_url + "/shop")
    assert result["error"]["code"] == "not_woocommerce"
    message = result["error"]["message"]
    assert f"REST API is at {store.base_url}/wp-json/" in message
    assert f"use {store.base_url} as the API URL" in message
    assert not [r for r in store.requests if r.auth_mode != "none"]  # the keys went nowhere



def test_the_suggested_root_keeps_the_scheme_and_host_given(client, store):
    store.home_url = f"http://localhost:{store.port}"  # what the store announces, e.g. behind a proxy
    message = verify(client, store, api_url=store.base_url + "/shop")["error"]["message"]
    assert f"REST API is at http://localhost:{store.port}/wp-json/" in message
    assert f"use {store.base_url} as the API URL" in message


def test_a_rest_root_outside_wp_json_is_named_not_followed(client):
    def wordpress_with_another_prefix(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/html"), ("Link", f'<{site.url}/api/>; rel="https://api.w.org/"')])
        return [b"<h1>Page not found</h1>"]

    site = LiveServer()
    site.start(wordpress_with_another_prefix)
    try:
        result = verify(client, None, api_url=site.url, access_token="ck_" + "1" * 40, secret="cs_" + "2" * 40)
    finally:
        site.stop()
    assert result["error"]["code"] == "unexpected_response"
    assert f"REST API at {site.url}/api/; Storelink needs it at /wp-json/" in result["error"]["message"]


def test_read_only_key_is_insufficient_because_webhooks_need_write(client, store):
    store.key, store.secret = store.new_key("read")
    result = verify(client, store)
    assert result["error"]["code"] == "insufficient_permissions"
    assert "read-only" in result["error"]["message"]


def test_write_only_key_is_insufficient(client, store):
    store.key, store.secret = store.new_key("write")
    assert verify(client, store)["error"]["code"] == "insufficient_permissions"


def test_closed_port_is_unreachable(client, store):
    result = verify(client, store, api_url=f"http://127.0.0.1:{free_port()}")
    assert result["error"]["code"] == "unreachable"


def test_untrusted_certificate_is_a_tls_error(client, https_store):
    result = verify(client, https_store)
    assert result["error"]["code"] == "tls_error"
    assert "certificate" in result["error"]["message"]


def test_a_site_without_wordpress_is_not_woocommerce(client, store, live_server):
    result = verify(client, store, api_url=live_server.url)
    assert result["error"]["code"] == "not_woocommerce"


def test_pasted_rest_url_is_accepted(client, store):
    assert verify(client, store, api_url=store.base_url + "/wp-json/wc/v3/")["ok"] is True


def verify_refusing_private_urls(client, app, store, api_url: str):
    """POST /api/connections/verify with ALLOW_PRIVATE_STORE_URLS off for this one request."""
    resources = app.extensions["storelink"]
    app.extensions["storelink"] = type(resources)(
        settings=resources.settings.with_overrides({"allow_private_store_urls": False}), vault=resources.vault
    )
    try:
        return client.post("/api/connections/verify", json={"api_url": api_url, "access_token": store.key, "secret": store.secret})
    finally:
        app.extensions["storelink"] = resources


def test_private_store_urls_are_refused_before_any_request_unless_allowed(client, store, app):
    response = verify_refusing_private_urls(client, app, store, store.base_url)
    assert response.status_code == 422
    assert "non-public address" in response.json["errors"]["api_url"][0]
    assert store.requests == []


def test_secrets_never_reach_responses_or_logs(client, store, caplog):
    caplog.set_level(logging.DEBUG)
    store.fail_next("system_status", 503)
    for _ in range(2):
        response = client.post(
            "/api/connections/verify",
            json={"api_url": store.base_url, "access_token": store.key, "secret": store.secret},
        )
        assert store.secret not in response.get_data(as_text=True)
    assert store.secret not in caplog.text
    assert "oauth_signature" not in caplog.text
