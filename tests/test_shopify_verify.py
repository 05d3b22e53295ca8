"""Verifying a Shopify connection: one test per diagnosis code, and what a verified shop records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stores.connector import StoreOptions
from stores.errors import StoreError
from stores.shopify.tokens import forget_granted_tokens
from stores.shopify.verify import missing_scopes, normalize_api_url, verify_shop
from tests.resolver import loopback_myshopify
from tests.services import free_port
from tests.shopify_emulator import ManualClock, ShopifyEmulator

SCOPES = ["read_orders", "read_products"]


@pytest.fixture
def shop():
    forget_granted_tokens()
    with loopback_myshopify(), ShopifyEmulator(clock=ManualClock("2026-11-27T10:00:00Z"), auto_deliver=False) as emulator:
        yield emulator


def options(shop, **changes) -> StoreOptions:
    return StoreOptions(**{"timeout": 5.0, "verify": shop.ca_file, "allow_private": True, **changes})


def cause(shop, api_url: str, token: str, secret: str, **kwargs) -> StoreError:
    with pytest.raises(StoreError) as caught:
        verify_shop(api_url, token, secret, kwargs.pop("opts", None) or options(shop), **kwargs)
    return caught.value


@pytest.mark.parametrize(
    "given, stored",
    [
        ("https://My-Shop.myshopify.com/", "https://my-shop.myshopify.com"),
        ("https://my-shop.myshopify.com/admin/orders?x=1", "https://my-shop.myshopify.com"),
        ("http://my-shop.myshopify.com", "https://my-shop.myshopify.com"),
        (" https://my-shop.myshopify.com:8443 ", "https://my-shop.myshopify.com:8443"),
    ],
)
def test_the_api_url_is_stored_as_the_shops_myshopify_address(given, stored):
    assert normalize_api_url(given) == stored


def test_a_legacy_apps_admin_token_verifies_and_records_the_shop(shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    verification = verify_shop(shop.base_url + "/admin", app.access_token, app.secret, options(shop))
    assert verification.api_url == shop.base_url
    assert verification.auth_mode == "admin_token"
    assert (verification.store["currency"], verification.store["price_decimals"]) == ("USD", 2)
    assert verification.store["myshopify_domain"].endswith(".myshopify.com")


def test_a_dev_dashboard_apps_client_id_and_secret_verify(shop):
    app = shop.create_dev_app(scopes=SCOPES)
    verification = verify_shop(shop.base_url, app.client_id, app.secret, options(shop))
    assert verification.auth_mode == "client_credentials"
    assert shop.apps.grants == 1


def test_unreachable(shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    error = cause(shop, f"https://{shop.shop_name}.myshopify.com:{free_port()}", app.access_token, app.secret)
    assert error.code == "unreachable"


def test_tls_error(shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    error = cause(shop, shop.base_url, app.access_token, app.secret, opts=options(shop, verify=True))
    assert error.code == "tls_error"


def test_not_shopify_for_a_storefront_domain_without_asking_it(shop):
    error = cause(shop, "https://shop.example.com", "shpat_x", "secret")
    assert error.code == "not_shopify"
    assert "myshopify.com" in error.message
    assert shop.requests == []


@pytest.mark.parametrize("missing", ["404", "redirect"])
def test_not_shopify_for_a_myshopify_name_with_no_shop(shop, missing):
    app = shop.create_legacy_app(scopes=SCOPES)
    shop.missing_shop = missing
    assert cause(shop, shop.base_url, app.access_token, app.secret).code == "not_shopify"


def test_invalid_credentials_for_a_bad_admin_token(shop):
    shop.create_legacy_app(scopes=SCOPES)
    error = cause(shop, shop.base_url, "shpat_" + "0" * 32, "secret")
    assert error.code == "invalid_credentials"
    assert "Admin API access token" in error.message


def test_invalid_credentials_for_a_wrong_client_secret(shop):
    app = shop.create_dev_app(scopes=SCOPES)
    error = cause(shop, shop.base_url, app.client_id, "not-the-secret")
    assert error.code == "invalid_credentials"
    assert "Client ID and Client secret" in error.message and "not-the-secret" not in error.message


def test_insufficient_permissions_names_the_missing_scopes(shop):
    app = shop.create_legacy_app(scopes=["read_customers"])
    error = cause(shop, shop.base_url, app.access_token, app.secret)
    assert error.code == "insufficient_permissions"
    assert "read_orders" in error.message and "read_products" in error.message


def test_read_all_orders_is_needed_only_for_an_order_start_over_60_days_back(shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    recent = datetime.now(UTC) - timedelta(days=30)
    assert verify_shop(shop.base_url, app.access_token, app.secret, options(shop), order_start=recent)
    error = cause(shop, shop.base_url, app.access_token, app.secret, order_start=datetime.now(UTC) - timedelta(days=90))
    assert error.code == "insufficient_permissions"
    assert "read_all_orders" in error.message and "read_orders," not in error.message


def test_write_scopes_count_as_read_scopes():
    assert missing_scopes({"write_orders", "write_products"}, None) == []
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert missing_scopes(set(), datetime(2026, 1, 1), now) == ["read_orders", "read_products", "read_all_orders"]


def test_unexpected_response(shop):
    app = shop.create_legacy_app(scopes=SCOPES)
    shop.fail_next("currentAppInstallation", 500)
    assert cause(shop, shop.base_url, app.access_token, app.secret).code == "unexpected_response"
