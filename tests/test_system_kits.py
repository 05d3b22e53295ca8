"""Each system's test kit (tests/systems.py) agrees with its connector, and every shipped system has one.

The shared guarantee tests trust a kit's bodies and headers; these checks make a kit that
its own connector would refuse fail here, by name, before any guarantee test runs on it.
"""

import json

import pytest

from stores import registry
from stores.connector import Topic
from tests.emulators import StoreEmulator
from tests.systems import KITS, registered_kits


def test_every_system_shipped_has_a_kit_so_the_guarantees_run_for_it():
    assert set(registry.SYSTEMS) <= {kit.system for kit in KITS}


def test_only_kits_of_registered_systems_run(monkeypatch):
    assert {kit.system for kit in registered_kits()} == set(registry.SYSTEMS)
    for system in registry.SYSTEMS:
        monkeypatch.delitem(registry.CONNECTORS, system)
    assert registered_kits() == []


def test_the_kits_headers_are_what_its_connector_reads(system):
    deliveries = system.deliveries
    for topic, name in system.topic_names.items():
        body = system.order_body(1, 1)
        headers = system.headers(topic, body)
        resource, event = topic.split(".")
        assert deliveries.topic(headers[deliveries.topic_header]) == Topic(resource, event), name
        deliveries.verify_signature(body, headers[deliveries.signature_header], (system.secret,))
    assert system.path("abc") == f"/webhooks/{system.system}/abc"


@pytest.mark.parametrize("resource", ["order", "product"])
def test_bodies_at_a_higher_version_map_newer_with_the_versions_figure(system, resource):
    body = system.order_body if resource == "order" else system.product_body
    figure = "total" if resource == "order" else "price"
    mapped = []
    for version in (1, 2, 61):
        assert system.deliveries.check(Topic(resource, "updated"), body(7, version)) is True  # it carries a time
        record = system.priced_record(resource, json.loads(body(7, version)))
        assert (record["external_id"], str(record[figure])) == (system.priced_id(resource, 7), system.total(version))
        mapped.append(record["modified_at"])
    assert mapped == sorted(mapped) and len(set(mapped)) == 3


@pytest.mark.parametrize("resource", ["order", "product"])
def test_a_deletion_body_names_the_record(system, resource):
    body = system.deletion_body(resource, 42)
    system.deliveries.check(Topic(resource, "deleted"), body)
    assert system.connector.deleted_id(resource, json.loads(body)) == "42"


def test_the_kits_emulator_offers_the_interface(system):
    with system.emulator() as adapter:
        assert isinstance(adapter, StoreEmulator)
        assert adapter.system == system.system
