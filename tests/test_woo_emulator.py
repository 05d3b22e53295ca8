"""The WooCommerce emulator answers as the captured WooCommerce 9.9.5 store did (tests/data/woocommerce-9.9.5)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY, Client
from requests_oauthlib import OAuth1

from stores.signatures import verify_signature
from tests.woo_emulator import CaptureServer, ManualClock, WooEmulator
from tests.woo_emulator.auth import AuthRequest, KeyRing, authenticate
from tests.woo_emulator.phpcompat import parse_str

DATA = Path(__file__).resolve().parent / "data" / "woocommerce-9.9.5"
RECORDED_HOME = "http://127.0.0.1:8080"
FIXTURE_SECRET = "cs_20433fe258370db7adc40d39bac30d95ffc09bf3"
# Headers a different web server or transport legitimately sends differently.
TRANSPORT_HEADERS = {"server", "date", "transfer-encoding", "connection", "content-length"}
# Headers whose values carry the store's address or paging, compared separately.
ADDRESS_HEADERS = {"link", "location", "x-wp-total", "x-wp-totalpages"}
STATUS_PATH = "/wp-json/wc/v3/system_status"
ENVIRONMENT = {"_fields": "environment"}


# -- helpers -------------------------------------------------------------------------------------


def rest_fixture(name: str) -> dict:
    """A captured REST exchange."""
    return json.loads((DATA / "rest" / f"{name}.json").read_text(encoding="utf-8"))


def delivery_fixture(name: str) -> tuple[dict, bytes]:
    """A captured webhook delivery and its raw body."""
    data = json.loads((DATA / "webhooks" / f"{name}.json").read_text(encoding="utf-8"))
    return data, base64.b64decode(data["body_base64"])


def as_recorded(response: requests.Response, store: WooEmulator):
    """The JSON body with the emulator's address swapped for the captured store's."""
    return json.loads(response.text.replace(store.base_url.replace("/", "\\/"), RECORDED_HOME.replace("/", "\\/")))


def header_names(headers) -> set[str]:
    """Header names, minus the transport ones."""
    return {name.lower() for name in headers} - TRANSPORT_HEADERS


def assert_matches_fixture(response: requests.Response, fixture: dict) -> None:
    """Same status, same header names (and values, bar addresses), and for errors the same body."""
    assert response.status_code == fixture["status"]
    assert header_names(response.headers) == header_names(fixture["headers"])
    for name in header_names(fixture["headers"]) - ADDRESS_HEADERS:
        assert response.headers[name] == fixture["headers"][_spelled(name, fixture["headers"])], name
    if fixture["status"] >= 400:
        assert response.json() == fixture["body"]


def _spelled(name: str, headers: dict) -> str:
    """The fixture's spelling of a header name."""
    return next(key for key in headers if key.lower() == name)


def oauth1(key: tuple[str, str], **options) -> OAuth1:
    """requests-oauthlib one-legged OAuth 1.0a in the query string, as our client signs."""
    return OAuth1(key[0], client_secret=key[1], signature_method="HMAC-SHA256", signature_type="query", **options)


def signed_url(key: tuple[str, str], url: str, method: str = "GET") -> str:
    """A URL signed by oauthlib for exactly `url` (which may name another host than the one we call)."""
    client = Client(
        key[0], client_secret=key[1], signature_method=SIGNATURE_HMAC_SHA256, signature_type=SIGNATURE_TYPE_QUERY
    )
    uri, _, _ = client.sign(url, http_method=method)
    return uri


def link_shape(link: str) -> list[tuple[str, list, str]]:
    """A Link header reduced to comparable parts: path, the query keys in order (OAuth ones as one token), rel."""
    shapes = []
    for part in link.split(", <"):
        url, rel = part.strip("<").split(">; rel=")
        split = urlsplit(url)
        keys: list = []
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            if name.startswith("oauth_"):
                if keys[-1:] != ["oauth*"]:
                    keys.append("oauth*")
            else:
                keys.append((name, value))
        shapes.append((split.path, keys, rel.strip('"')))
    return shapes


def _is_ping(capture) -> bool:
    """A WooCommerce ping, not a delivery."""
    return capture.body.startswith(b"webhook_id=")


def strip_meta_ids(orders: list[dict]) -> list[dict]:
    """Orders with line item meta ids blanked (ids come from the store's sequences)."""
    for order in orders:
        for item in order["line_items"]:
            for meta in item["meta_data"]:
                meta["id"] = None
    return orders


# -- pytest fixtures -----------------------------------------------------------------------------


@pytest.fixture
def store():
    """A fresh store over plain http."""
    with WooEmulator() as emulator:
        yield emulator


@pytest.fixture
def key(store):
    """A read_write key of `store`."""
    return store.new_key()


@pytest.fixture
def http():
    """A requests session, closed afterwards."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def receiver():
    """A webhook receiver that answers 200."""
    with CaptureServer() as server:
        yield server


@pytest.fixture
def https_store():
    """A fresh store over https with its own CA."""
    with WooEmulator(https=True) as emulator:
        yield emulator


def seed_captured_store(store: WooEmulator, clock: ManualClock) -> None:
    """Rebuild the records the REST captures show (ids, names, prices, dates)."""
    clock.set("2026-11-27T10:27:09Z")
    sizes, colours = ["S", "M", "L"], ["Red", "Blue"]
    store.create_variable_product(
        id=29, name="Variable Jacket", sku="SKU-VAR-JACKET", categories=["Merch"],
        attributes={"Size": sizes, "Color": colours},
        variations=[
            {
                "id": 30 + index, "sku": f"JKT-{size}-{colour[0]}", "regular_price": f"{79 + 4 * index}.00",
                "manage_stock": True, "stock_quantity": 20, "attributes": {"Size": size, "Color": colour},
            }
            for index, (size, colour) in enumerate((s, c) for s in sizes for c in colours)
            if index < 5
        ],
    )
    clock.set("2026-11-27T10:27:10Z")
    store.create_variation(
        29, id=35, sku="JKT-L-B", regular_price="95.00", manage_stock=True, stock_quantity=20,
        attributes={"Size": "L", "Color": "Blue"},
    )
    clock.set("2026-11-27T10:27:05Z")
    named = {10: ("Mug", "SKU-001", "8.99"), 16: ("Notebook", "SKU-007", "45.50"), 17: ("Pen", "SKU-008", "20.99")}
    for product_id in range(10, 28):
        name, sku, price = named.get(product_id, (f"Seed {product_id}", f"SEED-{product_id}", "5.00"))
        store.create_product(
            id=product_id, name=name, sku=sku, regular_price=price, categories=["Stationery"],
            manage_stock=True, stock_quantity=100,
        )
    clock.set("2026-11-27T10:27:14Z")
    address = {
        "first_name": "Ann", "last_name": "Tester", "address_1": "11 Test Ave", "city": "Springfield",
        "state": "CA", "postcode": "90001", "country": "US",
    }
    store.create_order(
        id=47, order_key="wc_order_s169mhwupMKzx", status="on-hold", customer_id=2,
        billing={**address, "email": "ann10@example.com", "phone": "555-0110"}, shipping=address,
        payment_method="bacs", payment_method_title="Direct bank transfer", customer_note="seeded order 10",
        date_paid="2026-11-27T10:27:14", date_completed="2026-11-27T10:27:14",
        line_items=[{"id": 36, "product_id": 17, "quantity": 2}, {"id": 37, "product_id": 16, "quantity": 2}],
        shipping_lines=[{"id": 38, "method_id": "flat_rate", "method_title": "Flat Rate", "total": "5.00"}],
    )
    clock.set("2026-11-27T10:27:37Z")
    store.create_order(
        id=93, order_key="wc_order_T5u8TLrKLd7zJ",
        billing={"first_name": "Webhook", "last_name": "One", "email": "wh1@example.com"},
        line_items=[{"id": 154, "product_id": 10, "quantity": 2}],
    )
    clock.set("2026-11-27T10:27:50Z")
    store.create_order(line_items=[{"product_id": 11, "quantity": 1}])  # modified before the cutoff
    clock.set("2026-11-27T10:28:48Z")
    store.update_order(93, status="completed", customer_note="changed note", date_paid="2026-11-27T10:28:47")
    store.create_product(id=94, name="Webhook Widget", sku="WH-W1", regular_price="9.99")
    clock.set("2026-11-27T10:28:49Z")
    store.update_order(47)
    store.create_variation(
        29, id=95, sku="JKT-XL-EXTRA", regular_price="99.00", attributes={"Size": "L", "Color": "Red"}
    )
    store.update_product(29, total_sales=3, related_ids_override=[23, 14, 11, 25, 21])
    for minute in range(4):
        clock.set(f"2026-11-27T10:3{minute}:00Z")
        store.create_order(line_items=[{"product_id": 12, "quantity": 1}])
    clock.set("2026-11-27T10:33:06Z")
    store.create_product(id=99, name="Café ☕ “Quote” <b>&amp;</b>", sku="UNI-1", regular_price="4.20")


@pytest.fixture(scope="module")
def captured():
    """A store holding the captured records; tests only read from it."""
    clock = ManualClock()
    with WooEmulator(clock=clock) as emulator:
        seed_captured_store(emulator, clock)
        yield emulator, emulator.new_key()


# -- REST captures: authentication -----------------------------------------------------------------


def test_system_status_environment_matches_capture(store, key, http):
    fixture = rest_fixture("system_status_environment_200")
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    environment = as_recorded(response, store)["environment"]
    assert environment == {**fixture["body"]["environment"], "store_id": store.store_id}
    assert list(environment) == list(fixture["body"]["environment"])


def test_system_status_over_https_basic_matches_capture_with_request_scheme_in_link(https_store, http):
    key = https_store.new_key()
    https_store.home_url = https_store.base_url.replace("https://", "http://")
    fixture = rest_fixture("system_status_environment_200_https_basic")
    response = http.get(https_store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=key, verify=https_store.ca_file)
    assert_matches_fixture(response, fixture)
    assert response.json()["environment"]["home_url"] == https_store.home_url
    assert response.headers["Link"] == f'<{https_store.base_url}/wp-json/>; rel="https://api.w.org/"'


@pytest.mark.parametrize(
    "capture, auth",
    [
        ("system_status_401_wrong_secret_oauth", "oauth-wrong-secret"),
        ("system_status_401_no_auth", "none"),
        ("system_status_401_basic_over_http", "basic"),
    ],
)
def test_system_status_errors_over_http_match_captures(store, key, http, capture, auth):
    credentials = {
        "oauth-wrong-secret": oauth1((key[0], "cs_" + "0" * 40)),
        "none": None,
        "basic": key,
    }[auth]
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=credentials)
    assert_matches_fixture(response, rest_fixture(capture))


def test_wrong_secret_over_https_basic_matches_capture(https_store, http):
    key = https_store.new_key()
    wrong_secret = (key[0], "cs_" + "0" * 40)
    response = http.get(
        https_store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=wrong_secret, verify=https_store.ca_file
    )
    assert_matches_fixture(response, rest_fixture("system_status_401_wrong_secret_https_basic"))


def test_wc_v3_index_is_public_and_matches_capture(store, key, http):
    fixture = rest_fixture("wc_v3_index_basic_over_http_200")
    response = http.get(store.base_url + "/wp-json/wc/v3/", auth=key)
    assert_matches_fixture(response, fixture)
    body = as_recorded(response, store)
    assert body["namespace"] == "wc/v3"
    assert list(body["routes"]) == list(fixture["body"]["routes"])
    assert body["_links"] == fixture["body"]["_links"]


def test_unknown_route_matches_capture(store, http):
    response = http.get(store.base_url + "/wp-json/wc/v9/")
    assert_matches_fixture(response, rest_fixture("unknown_route_404"))


def test_read_only_key_cannot_create_webhooks_whatever_the_body(store, http, receiver):
    read_only = store.new_key("read")
    fixture = rest_fixture("webhooks_create_401_read_only_key")
    for body in (fixture["request"]["body"], {}, {"topic": "nonsense"}):
        response = http.post(store.base_url + "/wp-json/wc/v3/webhooks", json=body, auth=oauth1(read_only))
        assert_matches_fixture(response, fixture)
    assert receiver.captures == []
    assert http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(read_only)).status_code == 200


def test_write_only_key_cannot_read(store, http):
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(store.new_key("write")))
    assert response.status_code == 401
    assert response.json()["message"] == "The API key provided does not have read permissions."


def test_replayed_nonce_is_rejected(store, key, http):
    prepared = requests.Request("GET", store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(key)).prepare()
    assert http.send(prepared).status_code == 200
    replay = http.send(prepared)
    assert replay.status_code == 401
    assert replay.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Invalid nonce - nonce has already been used.",
        "data": {"status": 401},
    }


@pytest.mark.parametrize("skew", [-16 * 60, 16 * 60])
def test_timestamp_outside_fifteen_minutes_is_rejected(store, key, http, skew):
    auth = oauth1(key, timestamp=str(int(time.time()) + skew))
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=auth)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid timestamp."


def test_hmac_sha1_and_oauth_header_are_accepted(store, key, http):
    sha1 = OAuth1(key[0], client_secret=key[1], signature_method="HMAC-SHA1", signature_type="query")
    assert http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=sha1).status_code == 200
    header = OAuth1(key[0], client_secret=key[1], signature_method="HMAC-SHA256")
    assert http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=header).status_code == 200
    assert [request.auth_mode for request in store.requests] == ["oauth-query", "oauth-header"]


def test_unknown_consumer_key_is_named(store, http):
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(("ck_" + "1" * 40, "cs_x")))
    assert response.status_code == 401
    assert response.json()["message"] == "Consumer key is invalid."


@pytest.mark.parametrize(
    "params, code, message",
    [
        ({"oauth_consumer_key": "ck_x"}, "woocommerce_rest_authentication_missing_parameter",
         "Missing OAuth parameters oauth_timestamp, oauth_nonce, oauth_signature, oauth_signature_method"),
        ({"oauth_consumer_key": "ck_x", "oauth_timestamp": "1", "oauth_nonce": "n", "oauth_signature_method": "x"},
         "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameter oauth_signature"),
    ],
)
def test_incomplete_oauth_parameters_are_named(store, http, params, code, message):
    response = http.get(store.base_url + STATUS_PATH, params=params)
    assert (response.status_code, response.json()["code"], response.json()["message"]) == (401, code, message)


def test_unsupported_signature_method_is_refused(store, key, http):
    plaintext = OAuth1(key[0], client_secret=key[1], signature_method="PLAINTEXT", signature_type="query")
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=plaintext)
    assert response.json()["message"] == "Invalid signature - signature method is invalid."


def test_oauth_base_string_uses_the_home_url_not_the_host(store, key, http):
    store.home_url = "http://shop.example"
    plain = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(key))
    assert plain.json()["message"] == "Invalid signature - provided signature does not match."
    url = signed_url(key, f"http://shop.example{STATUS_PATH}?_fields=environment")
    response = http.get(url.replace("http://shop.example", store.base_url))
    assert response.status_code == 200
    assert response.json()["environment"]["home_url"] == "http://shop.example"


def test_query_string_keys_over_http_are_ignored(store, key, http):
    response = http.get(
        store.base_url + STATUS_PATH, params={**ENVIRONMENT, "consumer_key": key[0], "consumer_secret": key[1]}
    )
    assert_matches_fixture(response, rest_fixture("system_status_401_no_auth"))


def test_https_accepts_basic_query_keys_and_oauth_with_the_ca_file(https_store, http):
    key = https_store.new_key()
    url = https_store.base_url + STATUS_PATH
    verify = https_store.ca_file
    assert http.get(url, params=ENVIRONMENT, auth=key, verify=verify).status_code == 200
    query_keys = {**ENVIRONMENT, "consumer_key": key[0], "consumer_secret": key[1]}
    assert http.get(url, params=query_keys, verify=verify).status_code == 200
    assert http.get(url, params=ENVIRONMENT, auth=oauth1(key), verify=verify).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        http.get(url, params=ENVIRONMENT, auth=key)


def test_unknown_key_over_https_basic_is_anonymous(https_store, http):
    unknown = ("ck_" + "2" * 40, "cs_x")
    response = http.get(
        https_store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=unknown, verify=https_store.ca_file
    )
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"


def test_stripped_authorization_header_leaves_only_query_keys(https_store, http):
    https_store.strip_authorization_header = True
    key = https_store.new_key()
    url, verify = https_store.base_url + STATUS_PATH, https_store.ca_file
    basic = http.get(url, params=ENVIRONMENT, auth=key, verify=verify)
    assert basic.json()["code"] == "woocommerce_rest_cannot_view"
    query_keys = {**ENVIRONMENT, "consumer_key": key[0], "consumer_secret": key[1]}
    assert http.get(url, params=query_keys, verify=verify).status_code == 200
    assert https_store.requests[0].auth_mode == "basic"


def test_behind_a_tls_terminating_proxy_only_oauth_works(https_store, http):
    https_store.is_ssl = False
    key = https_store.new_key()
    url, verify = https_store.base_url + STATUS_PATH, https_store.ca_file
    assert http.get(url, params=ENVIRONMENT, auth=key, verify=verify).json()["code"] == "woocommerce_rest_cannot_view"
    query_keys = {**ENVIRONMENT, "consumer_key": key[0], "consumer_secret": key[1]}
    assert http.get(url, params=query_keys, verify=verify).status_code == 401
    # WooCommerce rebuilds the signed URL with the scheme is_ssl() reports: http here.
    http_signed = signed_url(key, f"{url.replace('https://', 'http://')}?_fields=environment")
    assert http.get(http_signed.replace("http://", "https://"), verify=verify).status_code == 200
    https_signed = http.get(url, params=ENVIRONMENT, auth=oauth1(key), verify=verify)
    assert https_signed.json()["message"] == "Invalid signature - provided signature does not match."


def test_plain_permalinks_break_wp_json_and_rest_route_never_authenticates(store, key, http):
    store.permalinks = "plain"
    response = http.get(store.base_url + "/wp-json/")  # nginx hands it to index.php: the home page
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.links["https://api.w.org/"]["url"] == f"{store.base_url}/index.php?rest_route=/"
    index = http.get(store.base_url + "/", params={"rest_route": "/", "_fields": "name,namespaces"})
    assert index.status_code == 200
    assert "wc/v3" in index.json()["namespaces"]
    status = http.get(store.base_url + "/", params={"rest_route": "/wc/v3/system_status"}, auth=oauth1(key))
    assert status.status_code == 401
    assert status.json()["code"] == "woocommerce_rest_cannot_view"


def test_every_page_names_the_rest_root_404s_included(store, http):
    page = http.get(store.base_url + "/shop/wp-json/")
    assert page.status_code == 404
    assert page.links["https://api.w.org/"]["url"] == f"{store.base_url}/wp-json/"
    assert http.get(store.base_url + "/shop/", params={"rest_route": "/"}).json()["home"] == store.base_url


def test_inactive_woocommerce_has_no_wc_routes(store, key, http):
    store.woocommerce_active = False
    response = http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=oauth1(key))
    assert response.status_code == 404
    assert response.json()["code"] == "rest_no_route"
    index = http.get(store.base_url + "/wp-json/", params={"_fields": "namespaces"})
    assert "wc/v3" not in index.json()["namespaces"]


def test_site_index_supports_fields(store, http):
    response = http.get(store.base_url + "/wp-json/", params={"_fields": "name,home,namespaces,authentication"})
    body = response.json()
    assert set(body) == {"name", "home", "namespaces", "authentication", "_links"}
    assert body["home"] == store.base_url
    assert response.headers["Allow"] == "GET"


def test_requests_are_recorded(store, key, http):
    http.get(store.base_url + STATUS_PATH, params=ENVIRONMENT, auth=key)
    [recorded] = store.requests
    assert (recorded.method, recorded.path, recorded.status) == ("GET", STATUS_PATH, 401)
    assert recorded.query["_fields"] == "environment"
    assert recorded.auth_mode == "basic"
    assert recorded.headers["Authorization"].startswith("Basic ")


@given(params=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=12), max_size=4))
@settings(max_examples=60, deadline=None)
def test_oauthlib_signatures_verify_for_any_query(params):
    keys = KeyRing()
    key = keys.new()
    params = {name: value for name, value in params.items() if not name.startswith("oauth")}
    client = Client(key.consumer_key, client_secret=key.consumer_secret, signature_method=SIGNATURE_HMAC_SHA256,
                    signature_type=SIGNATURE_TYPE_QUERY)
    query = urlencode(params)
    uri, _, _ = client.sign(f"http://shop.test/wp-json/wc/v3/orders{'?' + query if query else ''}")
    split = urlsplit(uri)
    request = AuthRequest("GET", f"{split.path}?{split.query}", split.path, parse_str(split.query), {}, None, False,
                          "http://shop.test")
    outcome = authenticate(request, keys, time.time())
    assert outcome.error is None and outcome.key is key


# -- REST captures: collections --------------------------------------------------------------------


def test_orders_modified_after_page_matches_capture(captured, http):
    store, key = captured
    fixture = rest_fixture("orders_modified_after_page1_200")
    params = {"per_page": 2, "page": 1, "orderby": "modified", "order": "asc", "dates_are_gmt": "true",
              "modified_after": "2026-11-27T10:28:00"}
    response = http.get(store.base_url + "/wp-json/wc/v3/orders", params=params, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("6", "3")
    body = as_recorded(response, store)
    assert [list(order) for order in body] == [list(order) for order in fixture["body"]]
    assert strip_meta_ids(body) == strip_meta_ids(fixture["body"])
    assert link_shape(response.headers["Link"]) == link_shape(fixture["headers"]["Link"])
    assert f"oauth_consumer_key={key[0]}" in response.headers["Link"]


def test_orders_past_the_last_page_report_zero_totals_like_the_capture(captured, http):
    store, key = captured
    fixture = rest_fixture("orders_page_past_end_200_empty")
    params = {"per_page": 2, "page": 99, "orderby": "modified", "order": "asc", "dates_are_gmt": "true",
              "modified_after": "2026-11-27T10:28:00"}
    response = http.get(store.base_url + "/wp-json/wc/v3/orders", params=params, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    assert response.json() == []
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("0", "0")
    assert link_shape(response.headers["Link"]) == link_shape(fixture["headers"]["Link"])


@pytest.mark.parametrize(
    "capture, params",
    [
        ("orders_400_per_page_101", {"per_page": 101}),
        ("orders_400_modified_after_date_only", {"modified_after": "2020-01-01"}),
    ],
)
def test_invalid_order_queries_match_captures(captured, http, capture, params):
    store, key = captured
    response = http.get(store.base_url + "/wp-json/wc/v3/orders", params=params, auth=oauth1(key))
    assert_matches_fixture(response, rest_fixture(capture))


def test_page_zero_is_rejected_before_permissions_are_checked(captured, http):
    store, _ = captured
    response = http.get(store.base_url + "/wp-json/wc/v3/orders", params={"page": 0})
    assert response.status_code == 400
    assert response.json()["data"]["params"] == {"page": "page must be greater than or equal to 1"}


def test_products_page_with_variable_product_matches_capture(captured, http):
    store, key = captured
    fixture = rest_fixture("products_page_with_variable_200")
    params = {"per_page": 2, "page": 10, "orderby": "id", "order": "asc"}
    response = http.get(store.base_url + "/wp-json/wc/v3/products", params=params, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("21", "11")
    assert as_recorded(response, store) == fixture["body"]
    assert link_shape(response.headers["Link"]) == link_shape(fixture["headers"]["Link"])


def test_products_past_the_last_page_keep_their_totals(captured, http):
    store, key = captured
    response = http.get(store.base_url + "/wp-json/wc/v3/products", params={"page": 9}, auth=oauth1(key))
    assert response.json() == []
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("21", "3")


def test_product_variations_match_capture(captured, http):
    store, key = captured
    fixture = rest_fixture("product_variations_200")
    url = store.base_url + "/wp-json/wc/v3/products/29/variations"
    response = http.get(url, params={"per_page": 2}, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    assert as_recorded(response, store) == fixture["body"]
    assert link_shape(response.headers["Link"]) == link_shape(fixture["headers"]["Link"])
    single = http.get(store.base_url + "/wp-json/wc/v3/products/95", auth=oauth1(key)).json()
    assert (single["name"], single["type"], single["parent_id"]) == ("Variable Jacket - L, Red", "variation", 29)


def test_order_filters_trash_fields_and_exclusive_modified_after(store, key, http):
    clock = ManualClock("2026-11-27T10:00:00Z")
    store.clock = clock
    first = store.create_order()
    store.trash_order(first["id"])
    clock.advance(1)
    second = store.create_order()
    url = store.base_url + "/wp-json/wc/v3/orders"
    listed = http.get(url, params={"_fields": "id"}, auth=oauth1(key))
    assert listed.json() == [{"id": second["id"]}]
    trashed = http.get(url, params={"status": "trash", "_fields": "id,status"}, auth=oauth1(key))
    assert trashed.json() == [{"id": first["id"], "status": "trash"}]
    after = {"modified_after": second["date_modified_gmt"], "dates_are_gmt": "true", "_fields": "id"}
    assert http.get(url, params=after, auth=oauth1(key)).json() == []
    store.timezone_offset_hours = 2
    local = {"modified_after": "2026-11-27T12:00:00", "_fields": "id", "status": "any,trash"}
    assert http.get(url, params=local, auth=oauth1(key)).json() == [{"id": second["id"]}]


def test_order_crud_over_rest_schedules_the_right_webhooks(store, key, http, receiver):
    for topic in ("order.created", "order.updated", "order.deleted", "order.restored"):
        store.create_webhook(topic, f"{receiver.url}/{topic}", secret=key[1])
    mug = store.create_product(name="Mug", regular_price="8.99")
    url = store.base_url + "/wp-json/wc/v3/orders"
    created = http.post(url, json={"line_items": [{"product_id": mug["id"], "quantity": 2}]}, auth=oauth1(key))
    assert created.status_code == 201
    assert created.headers["Location"] == f"{url}/{created.json()['id']}"
    order_id = created.json()["id"]
    assert created.json()["total"] == "17.98"
    assert sorted(store.webhook(w).topic for w, _ in store.pending_deliveries) == ["order.created", "order.updated"]
    store.run_cron()
    assert http.delete(f"{url}/{order_id}", auth=oauth1(key)).json()["status"] == "trash"
    assert [store.webhook(w).topic for w, _ in store.pending_deliveries] == ["order.deleted"]
    store.restore_order(order_id)
    http.delete(f"{url}/{order_id}", params={"force": "true"}, auth=oauth1(key))
    assert [store.webhook(w).topic for w, _ in store.pending_deliveries] == ["order.deleted", "order.restored"]
    assert http.get(f"{url}/{order_id}", auth=oauth1(key)).json()["code"] == "woocommerce_rest_shop_order_invalid_id"


# -- webhooks over REST ----------------------------------------------------------------------------


def test_creating_a_webhook_pings_it_before_answering(store, key, http, receiver):
    fixture = rest_fixture("webhooks_create_201")
    delivery_url = receiver.url + "/fixtures/rest-webhook-create"
    body = {**fixture["request"]["body"], "delivery_url": delivery_url, "secret": key[1]}
    response = http.post(store.base_url + "/wp-json/wc/v3/webhooks", json=body, auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    created = response.json()
    assert list(created) == list(fixture["body"])
    assert "secret" not in created and created["date_modified"] is None
    assert created["hooks"] == fixture["body"]["hooks"]
    assert response.headers["Location"] == f"{store.base_url}/wp-json/wc/v3/webhooks/{created['id']}"
    [ping] = receiver.captures
    expected_ping, _ = delivery_fixture("01_ping")
    expected = ("POST", "/fixtures/rest-webhook-create", f"webhook_id={created['id']}".encode())
    assert (ping.method, ping.path, ping.body) == expected
    assert ping.headers["Content-Type"] == expected_ping["headers"]["Content-Type"]
    assert ping.headers["User-Agent"] == expected_ping["headers"]["User-Agent"]
    assert not any(name.lower().startswith("x-wc-") for name in ping.headers.keys())
    webhook = store.webhook(created["id"])
    assert (webhook.secret, webhook.pending_delivery, webhook.status) == (key[1], False, "active")


@pytest.mark.parametrize("answer", [201, 204, 302, 500])
def test_only_an_exact_200_clears_pending_and_the_webhook_is_active_anyway(store, key, http, answer):
    with CaptureServer(status=answer) as receiver:
        body = {"topic": "order.created", "delivery_url": receiver.url + "/hook"}
        created = http.post(store.base_url + "/wp-json/wc/v3/webhooks", json=body, auth=oauth1(key))
    assert created.status_code == 201
    webhook = store.webhook(created.json()["id"])
    assert (webhook.status, webhook.pending_delivery) == ("active", True)
    assert len(webhook.secret) == 50


def test_webhook_ping_times_out_after_the_ping_timeout(store, receiver):
    store.ping_timeout = 0.2
    receiver.responder = lambda capture: time.sleep(0.4) or 200
    webhook = store.create_webhook("order.created", receiver.url + "/slow")
    assert webhook.pending_delivery
    assert isinstance(store.pings[-1].error, requests.exceptions.Timeout)
    time.sleep(0.3)


@pytest.mark.parametrize(
    "body, code, message",
    [
        ({"topic": "order.shipped", "delivery_url": "http://example.com/x"},
         "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid."),
        ({"topic": "order.created", "delivery_url": "ftp://example.com/x"},
         "woocommerce_rest_shop_webhook_invalid_delivery_url",
         "Webhook delivery URL must be a valid URL starting with http:// or https://."),
        ({"name": "x"}, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url"),
        ({"topic": "order.created", "delivery_url": "http://example.com/x", "status": "sleeping"}, "rest_invalid_param",
         "Invalid parameter(s): status"),
    ],
)
def test_invalid_webhooks_are_refused(store, key, http, receiver, body, code, message):
    response = http.post(store.base_url + "/wp-json/wc/v3/webhooks", json=body, auth=oauth1(key))
    assert (response.status_code, response.json()["code"], response.json()["message"]) == (400, code, message)
    assert store.webhooks.items == {}


def test_webhook_delete_needs_force_like_the_captures(store, key, http, receiver):
    webhook = store.create_webhook("order.created", receiver.url + "/hook", secret=key[1])
    url = f"{store.base_url}/wp-json/wc/v3/webhooks/{webhook.id}"
    assert_matches_fixture(http.delete(url, auth=oauth1(key)), rest_fixture("webhooks_delete_501_without_force"))
    fixture = rest_fixture("webhooks_delete_200_force")
    deleted = http.delete(url, params={"force": "true"}, auth=oauth1(key))
    assert_matches_fixture(deleted, fixture)
    assert list(deleted.json()) == list(fixture["body"]) and deleted.json()["date_modified"] is not None
    assert store.webhooks.items == {}


def test_webhook_list_matches_capture_and_filters_by_status(store, key, http, receiver):
    fixture = rest_fixture("webhooks_list_200")
    for topic in ("order.created", "order.updated", "product.updated"):
        store.create_webhook(topic, f"{receiver.url}/{topic}")
    store.webhook(2).status = "disabled"
    response = http.get(store.base_url + "/wp-json/wc/v3/webhooks", auth=oauth1(key))
    assert_matches_fixture(response, fixture)
    assert [list(item) for item in response.json()] == [list(fixture["body"][0])] * 3
    assert [item["id"] for item in response.json()] == [1, 2, 3]
    disabled = http.get(store.base_url + "/wp-json/wc/v3/webhooks", params={"status": "disabled"}, auth=oauth1(key))
    assert [item["id"] for item in disabled.json()] == [2]
    assert disabled.headers["X-WP-Total"] == "1"


def test_webhook_update_changes_status_secret_and_url(store, key, http, receiver):
    webhook = store.create_webhook("order.created", receiver.url + "/one")
    url = f"{store.base_url}/wp-json/wc/v3/webhooks/{webhook.id}"
    body = {"status": "paused", "secret": "new-secret", "delivery_url": receiver.url + "/two", "name": "renamed"}
    updated = http.put(url, json=body, auth=oauth1(key)).json()
    assert (updated["status"], updated["delivery_url"], updated["name"]) == ("paused", receiver.url + "/two", "renamed")
    assert store.webhook(webhook.id).secret == "new-secret"
    assert http.get(url + "0", auth=oauth1(key)).json()["message"] == "ID is invalid."


# -- webhook deliveries ----------------------------------------------------------------------------


@pytest.fixture
def recorded_store():
    """A store whose home URL is the captured store's, so payloads can match byte for byte."""
    clock = ManualClock("2026-11-27T10:27:00Z")
    with WooEmulator(home_url=RECORDED_HOME, clock=clock) as emulator:
        emulator.create_product(id=10, name="Mug", regular_price="8.99", sku="SKU-001", categories=["Kitchen"])
        yield emulator, clock


def test_order_created_and_updated_bodies_match_the_captures_byte_for_byte(recorded_store, receiver):
    store, clock = recorded_store
    created = store.create_webhook("order.created", receiver.url + "/wh/order.created", secret=FIXTURE_SECRET)
    updated = store.create_webhook("order.updated", receiver.url + "/wh/order.updated", secret=FIXTURE_SECRET)
    clock.set("2026-11-27T10:27:37Z")
    store.create_order(
        id=93, order_key="wc_order_T5u8TLrKLd7zJ", line_items=[{"id": 154, "product_id": 10, "quantity": 2}],
        billing={"first_name": "Webhook", "last_name": "One", "email": "wh1@example.com"},
    )
    assert store.pending_deliveries == [(created.id, 93), (updated.id, 93)]
    results = store.run_cron()
    for result, capture in zip(results, ("02_order_created", "03_order_updated_same_body")):
        expected, body = delivery_fixture(capture)
        assert result.success and result.body == body
        assert result.headers["X-WC-Webhook-Signature"] == expected["headers"]["X-WC-Webhook-Signature"]
    first, second = receiver.captures[-2:]
    assert first.body == second.body
    topics = (first.headers["X-WC-Webhook-Topic"], second.headers["X-WC-Webhook-Topic"])
    assert topics == ("order.created", "order.updated")


def test_delivery_headers_are_exactly_woocommerces(recorded_store, receiver):
    store, _ = recorded_store
    webhook = store.create_webhook("order.created", receiver.url + "/wh/order.created", secret=FIXTURE_SECRET)
    order = store.create_order(line_items=[{"product_id": 10, "quantity": 1}])
    [result] = store.run_cron()
    expected, _ = delivery_fixture("02_order_created")
    delivery = receiver.captures[-1]
    assert [name.lower() for name in delivery.headers.keys()] == [name.lower() for name in expected["headers"]]
    for name in ("User-Agent", "Content-Type", "X-WC-Webhook-Source", "X-WC-Webhook-Topic", "X-WC-Webhook-Resource",
                 "X-WC-Webhook-Event", "Accept", "Accept-Encoding"):
        assert delivery.headers[name] == expected["headers"][name]
    assert delivery.headers["X-WC-Webhook-ID"] == str(webhook.id)
    assert len(delivery.headers["X-WC-Webhook-Delivery-ID"]) == 32
    verify_signature(delivery.body, delivery.headers["X-WC-Webhook-Signature"], [FIXTURE_SECRET])
    assert json.loads(delivery.body)["id"] == order["id"] == result.resource_id


@pytest.mark.parametrize(
    "capture, build",
    [
        ("06_product_created_simple", {"id": 94, "name": "Webhook Widget", "sku": "WH-W1", "regular_price": "9.99"}),
        ("09_product_created_non_ascii", {"id": 99, "name": "Café ☕ “Quote” <b>&amp;</b>", "sku": "UNI-1",
                                          "description": "<p>naïve / slash</p>\n", "regular_price": "4.20"}),
    ],
)
def test_product_created_bodies_match_the_captures_byte_for_byte(recorded_store, receiver, capture, build):
    store, clock = recorded_store
    expected, body = delivery_fixture(capture)
    clock.set(json.loads(body)["date_created_gmt"] + "Z")
    if build["id"] == 99:
        store.create_product(id=94, name="Webhook Widget", sku="WH-W1", regular_price="9.99")
    store.create_webhook("product.created", receiver.url + "/wh/product.created", secret=FIXTURE_SECRET)
    store.create_product(**build)
    [result] = store.run_cron()
    assert result.body == body
    assert result.body.isascii()
    assert result.headers["X-WC-Webhook-Signature"] == expected["headers"]["X-WC-Webhook-Signature"]


def test_variation_update_goes_out_as_a_product_like_the_capture(recorded_store, receiver):
    store, clock = recorded_store
    clock.set("2026-11-27T10:27:09Z")
    store.create_variable_product(
        id=29, name="Variable Jacket", attributes={"Size": ["S", "M", "L"], "Color": ["Red", "Blue"]},
        variations=[{"id": 30, "sku": "JKT-S-R", "regular_price": "79.00", "manage_stock": True, "stock_quantity": 20,
                     "attributes": {"Size": "S", "Color": "Red"}}],
    )
    store.create_webhook("product.updated", receiver.url + "/wh/product.updated", secret=FIXTURE_SECRET)
    clock.set("2026-11-27T10:28:49Z")
    store.update_variation(30, stock_quantity=18)
    [result] = store.run_cron()
    assert result.body == delivery_fixture("07_product_updated_variation")[1]


@pytest.mark.parametrize(
    "resource, record_id, capture", [("order", 36, "05_order_deleted"), ("product", 12, "08_product_deleted")]
)
def test_trash_sends_only_the_id_and_force_delete_sends_nothing(recorded_store, receiver, resource, record_id, capture):
    store, _ = recorded_store
    store.create_webhook(f"{resource}.deleted", receiver.url + "/deleted", secret=FIXTURE_SECRET)
    if resource == "order":
        store.create_order(id=record_id)
        store.trash_order(record_id)
        store.create_order(id=record_id + 1)
        store.force_delete_order(record_id + 1)
    else:
        store.create_product(id=record_id, name="Old")
        store.trash_product(record_id)
        store.create_product(id=record_id + 1, name="Gone")
        store.force_delete_product(record_id + 1)
    [result] = store.run_cron()
    expected, body = delivery_fixture(capture)
    assert result.body == body
    assert result.headers["X-WC-Webhook-Signature"] == expected["headers"]["X-WC-Webhook-Signature"]


def test_restores_send_the_documented_topics(store, receiver):
    topics = ("order.restored", "order.updated", "product.updated", "product.restored")
    for topic in topics:
        store.create_webhook(topic, f"{receiver.url}/{topic}")
    order, product = store.create_order(), store.create_product(name="Lamp")
    store.trash_order(order["id"])
    store.trash_product(product["id"])
    store.run_cron()
    store.restore_order(order["id"])
    store.restore_product(product["id"])
    sent = sorted((result.topic, result.resource_id) for result in store.run_cron())
    assert sent == [
        ("order.restored", order["id"]), ("product.restored", product["id"]), ("product.updated", product["id"])
    ]
    assert json.loads(store.deliveries[-1].body)["status"] == "publish"


def test_deliveries_are_coalesced_and_built_at_send_time(store, receiver):
    store.create_webhook("order.created", receiver.url + "/created")
    store.create_webhook("order.updated", receiver.url + "/updated")
    order = store.create_order()
    store.update_order(order["id"], status="processing")
    store.update_order(order["id"], status="completed")
    results = store.run_cron()
    assert len(results) == 2
    assert {json.loads(result.body)["status"] for result in results} == {"completed"}
    assert store.run_cron() == []


def test_paying_reduces_stock_and_sends_product_updated(store, receiver):
    store.create_webhook("product.updated", receiver.url + "/product")
    mug = store.create_product(name="Mug", regular_price="8.99", manage_stock=True, stock_quantity=5)
    order = store.create_order(line_items=[{"product_id": mug["id"], "quantity": 2}], set_paid=True)
    assert order["status"] == "processing" and order["date_paid"] is not None
    assert order["line_items"][0]["meta_data"][0]["key"] == "_reduced_stock"
    [result] = store.run_cron()
    assert json.loads(result.body)["stock_quantity"] == 3


def test_the_seventh_failure_in_a_row_disables_the_webhook(store):
    with CaptureServer(responder=lambda capture: 200 if _is_ping(capture) else 500) as receiver:
        webhook = store.create_webhook("order.updated", receiver.url + "/failing")
        order = store.create_order()
        for failures in range(1, 7):
            [result] = store.run_cron()
            assert result.status == 500 and not result.success
            assert (webhook.status, webhook.failure_count) == ("active", failures)
            store.update_order(order["id"])
        store.run_cron()
        assert (webhook.status, webhook.failure_count) == ("disabled", 6)
        store.update_order(order["id"])
        assert store.pending_deliveries == []
        store.webhook(webhook.id).status = "active"
        store.update_order(order["id"])
        store.run_cron()
        assert webhook.status == "disabled"


def test_a_success_resets_the_failure_count_and_redirects_count_as_success(store):
    answers = iter([500, 500, 302])
    with CaptureServer(responder=lambda capture: 200 if _is_ping(capture) else next(answers)) as rx:
        webhook = store.create_webhook("order.updated", rx.url + "/flaky")
        order = store.create_order()
        for _ in range(3):
            store.run_cron()
            store.update_order(order["id"])
        assert webhook.failure_count == 0
        assert store.deliveries[-1].status == 302 and store.deliveries[-1].success
        assert [capture.path for capture in rx.captures].count("/flaky") == 4


def test_refunds_send_order_updated_of_the_order(store, receiver):
    store.create_webhook("order.updated", receiver.url + "/updated")
    order = store.create_order(line_items=[{"name": "Gift card", "price": "10.00", "quantity": 1}], set_paid=True)
    store.run_cron()
    refunded = store.refund_order(order["id"], "10.00", reason="changed mind")
    assert refunded["status"] == "refunded"
    assert refunded["refunds"] == [{"id": refunded["refunds"][0]["id"], "reason": "changed mind", "total": "-10.00"}]
    [result] = store.run_cron()
    assert (result.topic, result.resource_id) == ("order.updated", order["id"])


def test_only_active_webhooks_receive_deliveries(store, receiver):
    paused = store.create_webhook("order.created", receiver.url + "/paused")
    store.set_webhook_status(paused.id, "paused")
    store.create_order()
    assert store.pending_deliveries == []
    assert store.set_webhook_status(paused.id, "resting").status == "disabled"  # as WC_Webhook::set_status()


# -- faults ----------------------------------------------------------------------------------------


def test_fail_next_answers_with_status_and_retry_after_then_recovers(store, key, http):
    store.fail_next("/wc/v3/orders", 429, count=2, retry_after=7)
    url = store.base_url + "/wp-json/wc/v3/orders"
    for _ in range(2):
        response = http.get(url, auth=oauth1(key))
        assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert http.get(url, auth=oauth1(key)).status_code == 200
    store.fail_next("system_status", 503, body={"code": "busy"})
    assert http.get(store.base_url + STATUS_PATH, auth=oauth1(key)).json() == {"code": "busy"}


def test_delay_next_makes_clients_time_out(store, key, http):
    store.delay_next("/wc/v3/orders", 0.3)
    with pytest.raises(requests.exceptions.Timeout):
        http.get(store.base_url + "/wp-json/wc/v3/orders", auth=oauth1(key), timeout=0.1)
    time.sleep(0.3)
    assert http.get(store.base_url + "/wp-json/wc/v3/orders", auth=oauth1(key), timeout=2).status_code == 200
