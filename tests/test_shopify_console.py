"""The console's form with Shopify chosen: its own labels, help and advice."""

import html
import json
import re

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.test_console import console, post, text  # noqa: F401  (console: the signed-in browser fixture)

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect
from tests.test_console_browser import browser  # noqa: E402, F401  (Chromium, or the test is skipped)

SHOPIFY_LABEL = "Admin API access token (shpat_…) or Client ID"


def test_shopify_is_offered_and_chosen_it_shows_its_own_help(console):  # noqa: F811
    page = html.unescape(text(console.get("/connections/new?external_system=shopify")))
    assert re.search(r'<option value="shopify" selected>Shopify</option>', page)
    assert "Shopify (coming)" not in page
    assert f">{SHOPIFY_LABEL}<" in page
    assert ">API secret key or Client secret<" in page
    assert "https://your-shop.myshopify.com" in page
    form = page.split('id="field-help"')[1]  # the fields themselves, after the script's data
    assert "consumer key" not in form.split("</script>", 1)[1]


def test_every_systems_help_is_in_the_page_for_the_script_that_follows_the_select(console):  # noqa: F811
    page = text(console.get("/connections/new"))
    data = re.search(r'<script type="application/json" id="field-help">(.*?)</script>', page, re.S).group(1)
    help = json.loads(data)
    assert help["shopify"]["access_token"]["label"] == SHOPIFY_LABEL
    assert help["woocommerce"]["access_token"]["label"] == "Access token (consumer key)"


def test_a_storefront_domain_is_refused_with_shopifys_advice(console):  # noqa: F811
    response = post(console, "/connections/new", {
        "action": "verify", "name": "Shop", "external_system": "shopify", "api_url": "https://shop.example.com",
        "access_token": "shpat_abc", "secret": "shpss_abc", "order_start": "2026-11-01"})
    page = html.unescape(text(response))
    assert 'data-code="not_shopify"' in page
    assert "No Shopify shop at this address" in page
    assert "myshopify.com" in page


def test_a_secret_key_in_the_token_field_is_named_under_the_field_with_shopifys_label(console):  # noqa: F811
    response = post(console, "/connections/new", {
        "action": "verify", "name": "Shop", "external_system": "shopify", "api_url": "https://x.myshopify.com",
        "access_token": "shpss_abc", "secret": "shpss_abc"})
    assert response.status_code == 422
    page = html.unescape(text(response))
    assert 'id="access_token-error"' in page
    assert f">{SHOPIFY_LABEL}</a>" in page or SHOPIFY_LABEL in page


@pytest.mark.browser
def test_choosing_shopify_in_the_browser_shows_its_help_at_once(app, environment, browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{environment['PUBLIC_URL']}/sign-in")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{environment['PUBLIC_URL']}/connections/new")
        expect(page.get_by_label("Access token (consumer key)")).to_be_visible()
        page.get_by_label("External system").select_option("shopify")
        expect(page.get_by_label(SHOPIFY_LABEL)).to_have_attribute("placeholder", "shpat_… or Client ID")
        expect(page.locator("#api_url-hint")).to_contain_text("myshopify.com")
    finally:
        context.close()
