"""Store URLs: only public addresses, checked where the client connects (no DNS rebinding)."""

import socket

import pytest
import requests

from stores.transport import checked_session
from stores.urls import StoreUrlError, check_store_url
from stores.woocommerce import errors
from stores.woocommerce.client import WooCommerceClient
from stores.woocommerce.errors import StoreError
from tests.test_verification import verify_refusing_private_urls
from tests.woo_emulator import WooEmulator

PUBLIC = "93.184.215.14"


@pytest.fixture
def resolver(monkeypatch):
    """A resolver this test controls: `answers[name]` are given in turn, the last one from then on."""
    answers: dict[str, list[str]] = {}
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return real(host, port, family, type, proto, flags)
        asked.append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    resolver.answers, resolver.asked = answers, asked
    return resolver


@pytest.mark.parametrize(
    "address, public",
    [
        (PUBLIC, True),
        ("127.0.0.1", False),
        ("2606:4700::1111", True),
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254, the cloud metadata service
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public address
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 of 10.0.0.1
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:a247:28f1", True),  # Teredo, client 93.184.215.14
    ],
)
def test_addresses_are_judged_by_the_ipv4_address_they_reach(resolver, address, public):
    resolver.answers["store.test"] = [address]
    if public:
        check_store_url("https://store.test", allow_private=False)
    else:
        with pytest.raises(StoreUrlError, match="non-public address"):
            check_store_url("https://store.test", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(StoreUrlError, match=r"does not resolve \(shop.invalid\)"):
        check_store_url("https://shop.invalid", allow_private=False)  # .invalid never resolves (RFC 6761)


def test_the_client_connects_to_the_address_it_checked_not_to_a_second_answer(resolver, store):
    # DNS rebinding: public for the check, loopback for the next lookup (a TTL of 0).
    resolver.answers["rebind.test"] = [PUBLIC, "127.0.0.1"]
    url = f"http://rebind.test:{store.port}"
    client = WooCommerceClient(url, store.key, store.secret, "oauth1", allow_private=False, timeout=1)
    with client, pytest.raises(StoreError) as first:
        client.get("system_status")  # to the public address, where no store listens
    assert first.value.code == errors.UNREACHABLE
    assert resolver.asked == ["rebind.test"]  # one lookup, checked and connected to
    with client, pytest.raises(StoreError) as second:
        client.get("system_status")  # a new connection looks the name up again, and checks it again
    assert "non-public address (127.0.0.1)" in second.value.message
    assert store.requests == []


def test_host_header_stays_on_the_name(resolver, store):
    resolver.answers["shop.test"] = ["127.0.0.1"]
    client = WooCommerceClient(f"http://shop.test:{store.port}", store.key, store.secret, "oauth1", home_url=store.home_url, allow_private=True)
    with client:
        client.get("system_status")
    assert resolver.asked == ["shop.test"]
    assert store.requests[-1].headers["Host"] == f"shop.test:{store.port}"


@pytest.fixture(scope="module")
def https_store():
    with WooEmulator(https=True) as emulator:
        emulator.key, emulator.secret = emulator.new_key()
        yield emulator


def test_tls_is_checked_against_the_name_not_the_address_connected_to(resolver, https_store):
    # The certificate names localhost and 127.0.0.1: connecting to 127.0.0.1 must not make it valid for another name.
    resolver.answers["localhost"] = ["127.0.0.1"]
    resolver.answers["other-name.test"] = ["127.0.0.1"]
    options = {"verify": https_store.ca_file, "allow_private": True}
    with WooCommerceClient(f"https://localhost:{https_store.port}", https_store.key, https_store.secret, "basic", **options) as client:
        assert client.get("system_status").status == 200
    wrong_name = f"https://other-name.test:{https_store.port}"
    with WooCommerceClient(wrong_name, https_store.key, https_store.secret, "basic", **options) as client:
        with pytest.raises(StoreError) as raised:
            client.get("system_status")
    assert raised.value.code == errors.TLS_ERROR
    assert "other-name.test" in raised.value.message
    assert resolver.asked == ["localhost", "other-name.test"]


def test_verification_refuses_a_name_that_does_not_resolve_naming_the_field(client, app, store):
    response = verify_refusing_private_urls(client, app, store, "https://shop.invalid")
    assert response.status_code == 422
    assert response.json["errors"]["api_url"] == ["names a host that does not resolve (shop.invalid)"]


def test_checked_sessions_never_go_through_a_proxy_from_the_environment(monkeypatch):
    # A proxy would be the address connected to, and checked, instead of the store's own.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with checked_session(allow_private=False) as session:
        settings = session.merge_environment_settings("https://shop.example.com/", {}, None, None, None)
        assert settings["proxies"] == {}
        assert session.headers["User-Agent"].startswith("Storelink/")
    with requests.Session() as plain:  # what the check guards against
        assert plain.merge_environment_settings("https://shop.example.com/", {}, None, None, None)["proxies"]
