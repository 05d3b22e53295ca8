"""Every admin API operation fuzzed from our own OpenAPI document: never a 500, a trace or a secret."""

import ipaddress
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from tests.factories import FIXTURE_SECRET, make_connection

# What an internal error or a leaked secret would look like in a response.
LEAKS = ("Traceback", 'File "/', "sqlalchemy", "psycopg", ADMIN_TOKEN, SECRET_KEY, FIXTURE_SECRET)
EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="module")
def schema(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def operations(app_schema) -> list:
    return [result.ok() for result in app_schema.get_all_operations()]


@pytest.fixture
def connection_id(app):
    return make_connection()


@pytest.mark.parametrize("method_path", [
    ("POST", "/api/connections/verify"),
    ("POST", "/api/connections"),
    ("GET", "/api/connections"),
    ("GET", "/api/connections/{connection_id}"),
    ("PATCH", "/api/connections/{connection_id}"),
    ("DELETE", "/api/connections/{connection_id}"),
    ("GET", "/api/connections/{connection_id}/orders"),
    ("GET", "/api/connections/{connection_id}/orders/{external_id}"),
    ("GET", "/api/connections/{connection_id}/products"),
    ("GET", "/api/connections/{connection_id}/products/{external_id}"),
    ("GET", "/api/connections/{connection_id}/schedules"),
    ("PUT", "/api/connections/{connection_id}/schedules/{entity}"),
    ("POST", "/api/connections/{connection_id}/sync"),
    ("GET", "/api/connections/{connection_id}/sync-runs"),
    ("GET", "/api/connections/{connection_id}/sync-runs/{run_id}"),
    ("POST", "/webhooks/{system}/{connection_id}"),
])
def test_fuzzed_requests_never_crash_or_leak(schema, app, connection_id, method_path):
    method, path = method_path
    operation = schema[path][method]
    client = app.test_client()

    addresses = itertools.count(1)

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), aim_at_real_connection=st.booleans(), authorized=st.booleans())
    def check(case, aim_at_real_connection, authorized):
        if aim_at_real_connection and "connection_id" in (case.path_parameters or {}):
            case.path_parameters["connection_id"] = connection_id
        headers = dict(case.headers or {})
        if authorized:
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        response = client.open(
            case.formatted_path,
            method=case.method,
            query_string=case.query,
            json=case.body if case.body is not schemathesis.core.NOT_SET else None,
            headers=headers,
            # An address of its own per example: fuzzed tokens would soon use up one address's guesses (429).
            environ_base={"REMOTE_ADDR": str(ipaddress.IPv4Address("10.0.0.0") + next(addresses))},
        )
        text = response.get_data(as_text=True)
        assert response.status_code < 500 or response.status_code == 503, text
        assert not any(leak in text for leak in LEAKS), text
        if path.startswith("/api/") and not authorized:
            assert response.status_code == 401

    check()
