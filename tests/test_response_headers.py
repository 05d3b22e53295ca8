"""Every response, the receiver's and the Flask app's, tells browsers not to sniff its type."""

import pytest

from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.test_receiver import post_delivery


def nosniff(response) -> list[str]:
    return response.headers.getlist("X-Content-Type-Options")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/connections", 401),  # anonymous
        ("GET", "/api/connections/nope", 401),
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/no-such-page", 404),
        ("GET", "/webhooks/woocommerce/nope", 405),
        ("POST", "/webhooks/woocommerce/nope", 404),
    ],
)
def test_anonymous_answers_carry_nosniff_once(anonymous, method, path, status):
    response = anonymous.open(path, method=method)
    assert response.status_code == status
    assert nosniff(response) == ["nosniff"]


def test_admin_api_answers_carry_nosniff_once(client):
    for response in (client.get("/api/connections"), client.post("/api/connections", json={})):
        assert response.status_code in (200, 422)
        assert nosniff(response) == ["nosniff"]


@pytest.mark.parametrize(("name", "status"), [("01", 200), ("02", 202), ("10", 401)])
def test_receiver_answers_carry_nosniff_once(app, anonymous, name, status):
    response = post_delivery(anonymous, make_connection(), load_delivery(name))
    assert response.status_code == status
    assert nosniff(response) == ["nosniff"]


def test_console_pages_carry_nosniff_once(anonymous):
    response = anonymous.get("/sign-in")
    assert response.status_code == 200
    assert nosniff(response) == ["nosniff"]
