"""The connector seam: the registry, the receiver's `/webhooks/<system>/<id>`, and a second system routed through it."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import config
from db.models import Order
from db.session import transaction
from stores import registry
from stores.connector import Connector, Deliveries, Topic
from stores.errors import MappingError, SignatureError
from stores.registry import UnknownSystem, connector_for
from stores.signatures import sign, verify_signature
from tests.factories import FIXTURE_SECRET, make_connection
from tests.fixtures import load_delivery
from tests.test_receiver import post_delivery, queued

FAKE = "fakeshop"


class FakeDeliveries(Deliveries):
    """A system that signs like WooCommerce under its own headers, and names topics its own way."""

    signature_header = "X-Fake-Signature"
    topic_header = "X-Fake-Topic"
    topics = {"orders/create": Topic("order", "created"), "orders/delete": Topic("order", "deleted")}

    def is_ping(self, body, signature):
        return signature is None and body == b"ping"

    def verify_signature(self, body, signature, secrets):
        verify_signature(body, signature, secrets)

    def topic(self, header):
        return self.topics.get(header)

    def check(self, topic, body):
        payload = json.loads(body.decode("utf-8"))
        if not isinstance(payload, dict) or "ref" not in payload:
            raise MappingError("ref", "is required")
        return "changed" in payload


class FakeConnector(Connector):
    """Only what the receiver and the drain use; the rest is not reached by these tests."""

    system = FAKE
    label = "Fake Shop"
    deliveries = FakeDeliveries()
    topics = tuple(FakeDeliveries.topics)

    def map_record(self, resource, payload, parent=None, store=None):
        if "ref" not in payload:
            raise MappingError("ref", "is required")
        return {
            "external_id": f"fake-{payload['ref']}", "number": payload.get("number"), "status": payload.get("state"),
            "currency": None, "total": payload.get("amount"), "subtotal": None, "total_tax": None, "shipping_total": None,
            "discount_total": None, "payment_method": None, "billing": {}, "shipping": {}, "line_items": [],
            "customer": {"external_id": None, "email": None, "first_name": None, "last_name": None},
            "created_at": None, "modified_at": datetime.fromisoformat(payload["changed"]), "paid_at": None,
            "completed_at": None, "deleted": payload.get("state") == "void",
        }

    def deleted_id(self, resource, payload):
        return f"fake-{payload['ref']}"

    def __getattr__(self, name):  # every other part of the interface
        raise AssertionError(f"the fake connector's {name} was not expected to be used")


# The fake leaves out what these tests never reach (verification, webhooks, walks).
FakeConnector.__abstractmethods__ = frozenset()


@pytest.fixture
def fake_system():
    registry.register(FakeConnector())
    yield FAKE
    registry.unregister(FAKE)


def post_fake(client, connection_id, payload: dict, *, topic="orders/create", secret=FIXTURE_SECRET, system=FAKE):
    body = json.dumps(payload).encode()
    headers = {"X-Fake-Signature": sign(body, secret), "X-Fake-Topic": topic, "Content-Type": "application/json"}
    return client.post(f"/webhooks/{system}/{connection_id}", data=body, headers=headers)


def test_the_registry_knows_woocommerce_and_refuses_an_unknown_system_by_name():
    assert connector_for("woocommerce").system == "woocommerce"
    with pytest.raises(UnknownSystem, match="no connector for external_system 'magento'; known: woocommerce, shopify"):
        connector_for("magento")
    with pytest.raises(UnknownSystem):
        connector_for(None)


def test_a_system_without_a_connector_is_404_like_an_unknown_connection(anonymous, app, redis_client):
    connection_id = make_connection()
    unknown_id = post_delivery(anonymous, "no-such-connection", load_delivery("02"))
    delivery = load_delivery("02")
    response = anonymous.post(f"/webhooks/magento/{connection_id}", data=delivery.body, headers=dict(delivery.headers))
    assert response.status_code == 404
    assert response.json == unknown_id.json
    assert anonymous.get(f"/webhooks/magento/{connection_id}").status_code == 404
    assert queued(redis_client) == 0


def test_a_connection_of_another_system_is_404_on_this_systems_path(anonymous, app, redis_client, fake_system):
    woocommerce_connection = make_connection()
    fake_connection = make_connection(external_system=FAKE)
    unknown_id = post_delivery(anonymous, "no-such-connection", load_delivery("02"))
    # The WooCommerce connection on the fake system's path, and the other way round.
    wrong = post_fake(anonymous, woocommerce_connection, {"ref": 1, "changed": "2026-11-27T10:00:00+00:00"})
    assert (wrong.status_code, wrong.json) == (404, unknown_id.json)
    assert post_delivery(anonymous, fake_connection, load_delivery("02")).status_code == 404
    # On its own path each is accepted.
    assert post_delivery(anonymous, woocommerce_connection, load_delivery("02")).status_code == 202
    assert queued(redis_client) == 1


def test_a_second_system_is_received_checked_and_stored_through_its_connector(anonymous, app, redis_client, run_jobs, fake_system):
    connection_id = make_connection(external_system=FAKE)
    assert anonymous.post(f"/webhooks/{FAKE}/{connection_id}", data=b"ping").status_code == 200
    unsigned = anonymous.post(f"/webhooks/{FAKE}/{connection_id}", data=b"{}", headers={"X-Fake-Topic": "orders/create"})
    assert (unsigned.status_code, unsigned.json["error"]["message"]) == (401, "missing signature header")
    assert post_fake(anonymous, connection_id, {"ref": 7}, topic="orders/refund").json["error"]["code"] == "unsupported_topic"
    refused = post_fake(anonymous, connection_id, {"number": "7"})
    assert (refused.status_code, refused.json["error"]) == (400, {"code": "invalid_payload", "message": "ref: is required"})
    assert queued(redis_client) == 0

    changed = "2026-11-27T10:00:00+00:00"
    accepted = post_fake(anonymous, connection_id, {"ref": 7, "number": "A-7", "state": "paid", "amount": "9.50", "changed": changed})
    assert accepted.status_code == 202, accepted.json
    run_jobs()
    settings = config.get_settings()
    with transaction(settings.database_url) as session:
        order = session.scalar(select(Order).where(Order.external_id == "fake-7"))
        assert (order.number, order.status, order.total, order.deleted) == ("A-7", "paid", "9.50", False)
        assert order.modified_at.replace(tzinfo=UTC) == datetime.fromisoformat(changed)
        assert order.warehouse == "Main"  # the connection's, whatever the system


def test_a_signature_error_is_the_one_type_every_connector_raises():
    with pytest.raises(SignatureError, match="signature does not match the body"):
        FakeDeliveries().verify_signature(b"{}", sign(b"{}", "other"), (FIXTURE_SECRET,))
