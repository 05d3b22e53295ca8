"""Redis as Heroku gives it: every connection gives up on a stalled Redis, and `rediss://` works.

A stalled Redis (SIGSTOP: connections open, nothing answered) must not hold the receiver's
threads: a delivery is spooled to the database within about two seconds. Heroku Redis serves
TLS with a self-signed certificate: verified by default, accepted with REDIS_TLS_VERIFY=0.
"""

import datetime
import ipaddress
import time

import pytest
import redis
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from config import ConfigError, load_settings
from jobs.queues import new_redis
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import RedisServer, wait_until

HOP_HEADERS = ("Host", "Content-Length", "Connection")


def send_delivery(url: str, connection_id: str, name: str = "02") -> requests.Response:
    delivery = load_delivery(name)
    headers = {key: value for key, value in delivery.headers.items() if key not in HOP_HEADERS}
    return requests.post(f"{url}/webhooks/woocommerce/{connection_id}", data=delivery.body, headers=headers, timeout=30)


def self_signed(directory) -> tuple:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redis.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "redis.crt", directory / "redis.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate_path, key_path


@pytest.fixture
def tls_redis(tmp_path):
    server = RedisServer(tmp_path / "tls-redis", tls=self_signed(tmp_path)).start()
    yield server
    server.stop()


@pytest.mark.e2e
def test_a_stalled_redis_makes_the_receiver_spool_within_seconds(start_service, tmp_path, environment):
    stalled = RedisServer(tmp_path / "stalled-redis").start()
    try:
        service = start_service(workers=0, extra={"REDIS_URL": stalled.url})
        connection_id = make_connection()
        assert send_delivery(service.url, connection_id).json()["status"] == "queued"
        stalled.pause()
        started = time.monotonic()
        response = send_delivery(service.url, connection_id, "04")
        elapsed = time.monotonic() - started
        print(f"stalled Redis: delivery answered {response.status_code} {response.json()} in {elapsed:.2f} s")
        assert response.status_code == 202 and response.json()["status"] == "spooled"
        assert elapsed < 6  # the web process's Redis timeout is 2 s; the jobs' 10 s would be too long
        started = time.monotonic()
        assert requests.get(f"{service.url}/readyz", timeout=30).status_code == 503
        assert time.monotonic() - started < 6
    finally:
        stalled.resume()
        stalled.stop()


def test_rediss_verifies_the_certificate_unless_told_not_to(tls_redis):
    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        new_redis(tls_redis.url).ping()
    assert new_redis(tls_redis.url, verify_tls=False).ping()


def test_redis_tls_verify_is_a_yes_or_no_setting():
    assert load_settings({}).redis_tls_verify is True
    assert load_settings({"REDIS_TLS_VERIFY": "0"}).redis_tls_verify is False
    assert load_settings({"REDIS_TLS_VERIFY": "true"}).redis_tls_verify is True
    with pytest.raises(ConfigError, match="REDIS_TLS_VERIFY"):
        load_settings({"REDIS_TLS_VERIFY": "maybe"})


@pytest.mark.e2e
def test_the_service_runs_on_a_tls_redis_with_a_self_signed_certificate(start_service, tls_redis, client):
    service = start_service(workers=1, extra={"REDIS_URL": tls_redis.url, "REDIS_TLS_VERIFY": "0"})
    connection_id = make_connection()
    response = send_delivery(service.url, connection_id)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    order = wait_until(lambda: client.get(f"/api/connections/{connection_id}/orders/93").json.get("external_id"),
                       what="the order stored through the TLS Redis")
    assert order == "93"
