"""stores.signatures against the real WooCommerce 9.9.5 deliveries, plus edge cases and properties."""

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stores.errors import SignatureError
from stores.signatures import sign, verify_signature
from stores.woocommerce.deliveries import SIGNATURE_HEADER
from tests.fixtures import delivery_names, load_delivery, load_delivery_text

SIGNED = [name for name in delivery_names() if load_delivery(name).signature_valid is True]
ORDER_CREATED = load_delivery("02")
NON_ASCII = load_delivery("09")
SECRET = ORDER_CREATED.secret

MISSING = "missing signature header"
NOT_BASE64 = "signature header is not base64"
EMPTY = "empty signature header"
NOT_ASCII = "signature header is not ASCII"
NO_SECRET = "no secret to verify against"
WRONG_LENGTH = "signature has the wrong length for HMAC-SHA256"
NO_MATCH = "signature does not match the body"


def test_fixture_set_is_what_the_readme_describes():
    assert SIGNED == [
        "02_order_created",
        "03_order_updated_same_body",
        "04_order_updated_status_change",
        "05_order_deleted",
        "06_product_created_simple",
        "07_product_updated_variation",
        "08_product_deleted",
        "09_product_created_non_ascii",
    ]
    assert load_delivery("10").signature_valid is False
    assert load_delivery("10").derived is True
    assert load_delivery("01").signature_valid is None


@pytest.mark.parametrize("name", delivery_names())
def test_body_base64_and_body_text_are_the_same_bytes(name):
    delivery = load_delivery(name)
    assert delivery.body.decode("utf-8") == load_delivery_text(name)
    assert int(delivery.headers["Content-Length"]) == len(delivery.body)


@pytest.mark.parametrize("name", SIGNED)
def test_every_real_delivery_verifies_over_its_raw_bytes(name):
    delivery = load_delivery(name)
    verify_signature(delivery.body, delivery.signature, [delivery.secret])


@pytest.mark.parametrize("name", SIGNED)
def test_sign_reproduces_the_header_woocommerce_sent(name):
    delivery = load_delivery(name)
    assert sign(delivery.body, delivery.secret) == delivery.signature
    # ...and matches the README's recipe, computed independently here.
    digest = hmac.new(delivery.secret.encode(), delivery.body, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == delivery.signature


def test_tampered_body_is_rejected():
    tampered = load_delivery("10")
    assert tampered.signature == ORDER_CREATED.signature
    assert b'"total":"97.98"' in tampered.body
    with pytest.raises(SignatureError, match=f"^{NO_MATCH}$"):
        verify_signature(tampered.body, tampered.signature, [tampered.secret])
    assert sign(tampered.body, tampered.secret) != tampered.signature


def test_unsigned_ping_has_no_signature_and_does_not_verify():
    ping = load_delivery("01")
    assert ping.body == b"webhook_id=7"
    assert ping.signature is None
    assert not [header for header in ping.headers if header.lower().startswith("x-wc-")]
    with pytest.raises(SignatureError, match=f"^{MISSING}$"):
        verify_signature(ping.body, ping.headers.get(SIGNATURE_HEADER), [ping.secret])


def test_same_body_delivered_twice_carries_the_same_signature():
    again = load_delivery("03")
    assert again.body == ORDER_CREATED.body
    assert again.signature == ORDER_CREATED.signature
    assert again.headers["X-WC-Webhook-Delivery-ID"] != ORDER_CREATED.headers["X-WC-Webhook-Delivery-ID"]


def test_raw_body_of_09_is_ascii_with_php_escapes():
    assert NON_ASCII.body.isascii()
    assert b"Caf\\u00e9 \\u2615 \\u201cQuote\\u201d <b>&amp;<\\/b>" in NON_ASCII.body


@pytest.mark.parametrize(
    "reserialise",
    [
        pytest.param(lambda data: json.dumps(data).encode(), id="python-default"),
        pytest.param(lambda data: json.dumps(data, separators=(",", ":")).encode(), id="compact"),
        pytest.param(
            lambda data: json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(),
            id="compact-utf8",
        ),
    ],
)
def test_reserialised_json_does_not_verify(reserialise):
    body = reserialise(NON_ASCII.json())
    assert json.loads(body) == NON_ASCII.json()  # same data...
    assert body != NON_ASCII.body  # ...different bytes...
    with pytest.raises(SignatureError, match=f"^{NO_MATCH}$"):  # ...so no match: use raw bytes
        verify_signature(body, NON_ASCII.signature, [NON_ASCII.secret])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(None, MISSING, id="missing"),
        pytest.param("", EMPTY, id="empty"),
        pytest.param("   ", EMPTY, id="blank"),
        pytest.param("not base64!", NOT_BASE64, id="not-base64"),
        pytest.param("nbxrRgFcFE5ZZHnubkBuleSNWc0zpBwDm+FbY01pspE", NOT_BASE64, id="bad-padding"),
        pytest.param("nbxrRgFcFE5ZZHnubkBuleSNWc0zpBwDm-FbY01pspE=", NOT_BASE64, id="urlsafe-alphabet"),
        pytest.param("nbxrRgFcFE5ZZHnubkBuleSNWc0zpBwDm+FbY01psp\u00e9=", NOT_ASCII, id="non-ascii"),
        pytest.param(base64.b64encode(b"\0" * 31).decode(), WRONG_LENGTH, id="too-short"),
        pytest.param(base64.b64encode(b"\0" * 33).decode(), WRONG_LENGTH, id="too-long"),
        pytest.param(base64.b64encode(hashlib.sha1(b"").digest()).decode(), WRONG_LENGTH, id="sha1-size"),
        pytest.param(sign(ORDER_CREATED.body, "cs_wrong"), NO_MATCH, id="wrong-secret"),
    ],
)
def test_bad_headers_raise_signature_error_saying_why(header, message):
    with pytest.raises(SignatureError) as raised:
        verify_signature(ORDER_CREATED.body, header, [SECRET])
    assert str(raised.value) == message


def test_header_with_surrounding_whitespace_still_verifies():
    verify_signature(ORDER_CREATED.body, f" {ORDER_CREATED.signature}\t", [SECRET])


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param([SECRET, "cs_new"], id="current-first"),
        pytest.param(["cs_new", SECRET], id="current-second"),
        pytest.param(("cs_a", "cs_b", SECRET), id="tuple-of-three"),
        pytest.param(iter(["cs_new", SECRET]), id="iterator"),
    ],
)
def test_any_of_several_secrets_verifies_during_rotation(secrets):
    verify_signature(ORDER_CREATED.body, ORDER_CREATED.signature, secrets)


def test_no_matching_secret_is_rejected():
    with pytest.raises(SignatureError, match=f"^{NO_MATCH}$"):
        verify_signature(ORDER_CREATED.body, ORDER_CREATED.signature, ["cs_a", "cs_b"])


@pytest.mark.parametrize("secrets", [[], [""], ["", ""]], ids=["no-secrets", "empty", "empties"])
def test_empty_secrets_never_verify_anything(secrets):
    # An empty key would let anyone who knows it is empty sign deliveries.
    with pytest.raises(SignatureError, match=f"^{NO_SECRET}$"):
        verify_signature(ORDER_CREATED.body, sign(ORDER_CREATED.body, ""), secrets)


def test_a_bare_string_secret_is_not_split_into_characters():
    # Iterating "cs_..." would accept a body signed with the one-character key "c".
    forged = sign(ORDER_CREATED.body, "c")
    with pytest.raises(TypeError):
        verify_signature(ORDER_CREATED.body, forged, SECRET)


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=4096), secret=st.text(min_size=1, max_size=64))
def test_sign_then_verify_round_trips(body, secret):
    header = sign(body, secret)
    assert len(base64.b64decode(header)) == hashlib.sha256().digest_size
    verify_signature(body, header, [secret])


@settings(max_examples=100, deadline=None)
@given(data=st.data(), body=st.binary(min_size=1, max_size=2048), secret=st.text(min_size=1, max_size=64))
def test_any_single_byte_change_fails(data, body, secret):
    header = sign(body, secret)
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[index]), label="byte")
    changed = body[:index] + bytes([new_byte]) + body[index + 1 :]
    with pytest.raises(SignatureError, match=f"^{NO_MATCH}$"):
        verify_signature(changed, header, [secret])


@settings(max_examples=100, deadline=None)
@given(index=st.integers(0, len(ORDER_CREATED.body) - 1), delta=st.integers(1, 255))
def test_any_single_byte_change_of_a_real_delivery_fails(index, delta):
    body = bytearray(ORDER_CREATED.body)
    body[index] = (body[index] + delta) % 256
    with pytest.raises(SignatureError, match=f"^{NO_MATCH}$"):
        verify_signature(bytes(body), ORDER_CREATED.signature, [SECRET])


@settings(max_examples=200, deadline=None)
@given(header=st.one_of(st.none(), st.text(max_size=80)))
def test_arbitrary_headers_only_ever_raise_signature_error(header):
    with pytest.raises(SignatureError):
        verify_signature(ORDER_CREATED.body, header, [SECRET])
