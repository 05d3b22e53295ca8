"""Notifications to the back office (jobs.notify): Standard Webhooks signatures, checked by a real
HTTP receiver in the test; one pending notification per endpoint carrying the newest position;
retries after failures, visible in the status and the metrics; ingest going on meanwhile."""

import base64
import json
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq.job import Job
from sqlalchemy import select
from standardwebhooks import Webhook

import config
from config import ConfigError, load_settings
from db.models import Connection
from db.session import transaction
from jobs.clock import notify_back_office
from jobs.notify import signed_headers
from jobs.queues import POLLS_QUEUE, SERIALIZER, queue
from stores.signatures import sign
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import free_port
from tests.test_change_feed import feed, order_record, product_record, store
from tests.test_receiver import post_delivery

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def test_signatures_match_the_standard_webhooks_published_example():
    at = datetime.fromtimestamp(1614265330, UTC)
    headers = signed_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", b'{"test": 2432232314}', at)
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"NOTIFY_URL": "https://office.example.com/hook"}, "NOTIFY_SECRET is not set"),
        ({"NOTIFY_URL": "https://office.example.com/hook", "NOTIFY_SECRET": "s3cret"}, "NOTIFY_SECRET must be whsec_"),
        ({"NOTIFY_URL": "https://office.example.com/hook", "NOTIFY_SECRET": "whsec_c2hvcnQ="}, "NOTIFY_SECRET must be whsec_"),
        ({"NOTIFY_URL": "ftp://office.example.com", "NOTIFY_SECRET": SECRET}, "NOTIFY_URL must be"),
        ({"NOTIFY_URL": "https://user:pw@office.example.com", "NOTIFY_SECRET": SECRET}, "NOTIFY_URL must be"),
        ({"NOTIFY_SECRET": SECRET}, "NOTIFY_SECRET is set but NOTIFY_URL is not"),
        ({"NOTIFY_URL": "https://office.example.com", "NOTIFY_SECRET": SECRET, "ALLOW_PRIVATE_NOTIFY_URLS": "maybe"},
         "ALLOW_PRIVATE_NOTIFY_URLS must be"),
    ],
)
def test_a_malformed_notification_setting_is_refused_naming_it(environ, named):
    base = {"ADMIN_TOKEN": "a" * 40, "SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigError) as refused:
        load_settings({**base, **environ}).check()
    assert any(problem.startswith(named) for problem in refused.value.problems), refused.value.problems
    assert not any(SECRET in problem for problem in refused.value.problems)


def test_a_valid_endpoint_is_accepted():
    settings = load_settings({"ADMIN_TOKEN": "a" * 40, "SECRET_KEY": "k" * 40, "NOTIFY_URL": "https://office.example.com/hook",
                              "NOTIFY_SECRET": SECRET}).check()
    assert (settings.notify_url, settings.notify_secret) == ("https://office.example.com/hook", SECRET)
    assert SECRET not in repr(settings)


class BackOffice:
    """An HTTP server that checks each notification's signature and answers as told (204 by default)."""

    def __init__(self, secret: str = SECRET):
        self.received: list[dict] = []
        self.answers: list[int] = []
        back_office = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    payload = Webhook(secret).verify(body, dict(self.headers.items()))
                except Exception as error:  # noqa: BLE001 - an unsigned message is recorded as such
                    payload = {"unverified": str(error)}
                back_office.received.append({"id": self.headers["webhook-id"], **payload})
                self.send_response(back_office.answers.pop(0) if back_office.answers else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/storelink"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify_to(app, monkeypatch):
    """Point NOTIFY_URL at `url` for the jobs and the app alike."""

    def point(url: str):
        for name, value in {"NOTIFY_URL": url, "NOTIFY_SECRET": SECRET, "ALLOW_PRIVATE_NOTIFY_URLS": "1"}.items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()
        resources = app.extensions["storelink"]
        monkeypatch.setattr(resources, "settings", resources.settings.with_overrides(
            {"notify_url": url, "notify_secret": SECRET, "allow_private_notify_urls": True}))
        return config.get_settings()

    yield point
    monkeypatch.undo()
    config.get_settings.cache_clear()


@pytest.fixture
def back_office():
    with BackOffice() as server:
        yield server


def retry_now(redis_client, run_jobs) -> int:
    """Run the notifications waiting for their retry's delay at once."""
    polls = queue(POLLS_QUEUE, redis_client)
    registry = polls.scheduled_job_registry
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=redis_client, serializer=SERIALIZER)
        registry.remove(job)
        polls.enqueue_job(job)
    return run_jobs()


def connection_pk(public_id: str) -> int:
    with transaction(config.get_settings().database_url) as session:
        return session.scalar(select(Connection.id).where(Connection.public_id == public_id))


def test_the_back_office_is_told_what_changed_up_to_the_newest_position_signed(
    client, environment, back_office, notify_to, redis_client, run_jobs
):
    settings = notify_to(back_office.url)
    shop = make_connection()
    store(environment["DATABASE_URL"], connection_pk(shop), orders=[order_record(1)], products=[product_record(10)])
    notify_back_office(settings, redis_client)
    notify_back_office(settings, redis_client)  # one pending notification per endpoint
    assert run_jobs() == 1
    newest = feed(client)["next_after"]
    [message] = back_office.received
    assert message["type"] == "records.changed" and message["id"] == f"msg_installation_{newest}"
    assert message["data"] == {"position": newest, "after": 0, "connection_ids": [shop], "entities": ["orders", "products"]}
    assert "unverified" not in message
    assert "email" not in json.dumps(message)  # no customer data
    notify_back_office(settings, redis_client)  # nothing new: nothing sent
    assert run_jobs() == 0


def test_a_failing_endpoint_is_retried_with_the_newest_position_and_shows_in_status_and_metrics(
    client, environment, back_office, notify_to, redis_client, run_jobs
):
    settings = notify_to(back_office.url)
    back_office.answers = [500, 500]
    shop = make_connection()
    store(environment["DATABASE_URL"], connection_pk(shop), orders=[order_record(1)])
    notify_back_office(settings, redis_client)
    run_jobs()
    status = client.get(f"/api/connections/{shop}/status").json["notifications"]
    assert status[0]["last_error"] == "HTTP 500" and status[0]["failing_since"] and not status[0]["given_up"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'storelink_notification_failing{endpoint="installation"} 1.0' in metrics
    assert 'storelink_notifications_total{endpoint="installation",outcome="failed"} 1.0' in metrics

    store(environment["DATABASE_URL"], connection_pk(shop), orders=[order_record(2)])
    notify_back_office(settings, redis_client)  # the retry is pending: no second notification
    assert queue(POLLS_QUEUE, redis_client).count == 0
    retry_now(redis_client, run_jobs)
    retry_now(redis_client, run_jobs)
    newest = feed(client)["next_after"]
    assert [message["data"]["position"] for message in back_office.received][-1] == newest
    assert len(back_office.received) == 3
    status = client.get(f"/api/connections/{shop}/status").json["notifications"][0]
    assert (status["acknowledged_position"], status["failing_since"], status["last_error"]) == (newest, None, None)
    assert 'storelink_notification_failing{endpoint="installation"} 0.0' in client.get("/metrics").get_data(as_text=True)


def test_deliveries_are_stored_and_readable_while_the_endpoint_is_down(
    client, anonymous, environment, notify_to, redis_client, run_jobs
):
    settings = notify_to(f"http://127.0.0.1:{free_port()}/nobody-listens")
    shop = make_connection()
    delivery = load_delivery("04")
    assert post_delivery(anonymous, shop, delivery).status_code == 202
    run_jobs()
    notify_back_office(settings, redis_client)
    run_jobs()  # the notification fails, and waits for its retry
    assert queue(POLLS_QUEUE, redis_client).scheduled_job_registry.count == 1
    body = json.dumps({**delivery.json(), "id": 4242}).encode()
    assert post_delivery(anonymous, shop, delivery, body=body, headers={"X-WC-Webhook-Signature": sign(body, delivery.secret)}).status_code == 202
    run_jobs()
    stored = {change["record"]["external_id"] for change in feed(client)["changes"]}
    assert stored == {str(delivery.json()["id"]), "4242"}
    state = client.get(f"/api/connections/{shop}/status").json["notifications"][0]
    assert state["last_error"].startswith("no answer")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notify_url": "https://office.example.com/hook"}, "notify_secret"),
        ({"notify_url": "https://office.example.com/hook", "notify_secret": "whsec_c2hvcnQ="}, "notify_secret"),
        ({"notify_url": "ftp://office.example.com", "notify_secret": SECRET}, "notify_url"),
        ({"notify_secret": SECRET}, "notify_secret"),
        ({"notify_url": None, "notify_secret": SECRET}, "notify_secret"),
    ],
)
def test_a_connection_endpoint_is_checked_naming_the_field(client, environment, body, field):
    shop = make_connection()
    response = client.patch(f"/api/connections/{shop}", json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert SECRET not in response.get_data(as_text=True)


@pytest.fixture
def private_notify_urls(environment, monkeypatch):
    """ALLOW_PRIVATE_NOTIFY_URLS=1 for the jobs: the back office of the test listens on loopback."""
    monkeypatch.setenv("ALLOW_PRIVATE_NOTIFY_URLS", "1")
    config.get_settings.cache_clear()
    yield
    monkeypatch.undo()
    config.get_settings.cache_clear()


def test_a_connections_own_endpoint_hears_of_its_changes_only(client, environment, private_notify_urls, redis_client, run_jobs):
    own_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    shop, outlet = make_connection(), make_connection(access_token="ck_" + "2" * 40)
    with BackOffice(own_secret) as office:
        answer = client.patch(f"/api/connections/{shop}", json={"notify_url": office.url, "notify_secret": own_secret})
        assert answer.status_code == 200, answer.json
        assert (answer.json["notify_url"], answer.json["notify_secret_set"]) == (office.url, True)
        assert own_secret not in answer.get_data(as_text=True)
        settings = config.get_settings()
        store(environment["DATABASE_URL"], connection_pk(outlet), orders=[order_record(1)])
        notify_back_office(settings, redis_client)
        assert run_jobs() == 0  # nothing of the shop's
        store(environment["DATABASE_URL"], connection_pk(shop), orders=[order_record(2)])
        notify_back_office(settings, redis_client)
        run_jobs()
        [message] = office.received
        assert "unverified" not in message
        assert message["data"]["connection_ids"] == [shop]
        assert message["data"]["position"] == feed(client)["next_after"]
    [status] = client.get(f"/api/connections/{shop}/status").json["notifications"]
    assert status["endpoint"] == f"connection-{shop}" and status["acknowledged_position"] == message["data"]["position"]
    removed = client.patch(f"/api/connections/{shop}", json={"notify_url": None})
    assert (removed.json["notify_url"], removed.json["notify_secret_set"]) == (None, False)
