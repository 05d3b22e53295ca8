"""Logs an operator can follow: request ids, job and connection ids, JSON lines on request."""

import io
import json
import logging
from datetime import UTC, datetime

import requests

from config.logging import log_context, make_handler
from jobs.queues import EVENTS_QUEUE, queue
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import wait_until

SECRETS = ("ADMIN_TOKEN", "SECRET_KEY")


def json_lines(text: str) -> list[dict]:
    """Every line of a process's output, each of which must be a JSON object."""
    lines = []
    for line in text.splitlines():
        if line.strip():
            parsed = json.loads(line)  # fails the test on any line that is not JSON
            assert isinstance(parsed, dict), line
            lines.append(parsed)
    return lines


def log_of(service, name: str) -> str:
    return (service.processes.logs / f"{name}.log").read_text()


def test_text_lines_name_what_they_belong_to():
    stream = io.StringIO()
    handler = make_handler("text")
    handler.stream = stream
    logger = logging.getLogger("storelink.test.text")
    logger.addHandler(handler)
    try:
        with log_context(request_id="r-1"), log_context(connection_id="c-1"):
            logger.warning("inside")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith("inside request_id=r-1 connection_id=c-1")
    assert outside.endswith("outside")


def test_web_requests_carry_their_request_id_in_responses_and_json_logs(start_service, environment):
    service = start_service(workers=0, extra={"LOG_FORMAT": "json"})
    given = requests.get(f"{service.url}/healthz", headers={"X-Request-ID": "8d1c0e6a-heroku-1"}, timeout=10)
    assert given.headers["X-Request-ID"] == "8d1c0e6a-heroku-1"
    made = requests.get(f"{service.url}/healthz", timeout=10).headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    forged = requests.get(f"{service.url}/healthz", headers={"X-Request-ID": 'x" level=ERROR'}, timeout=10)
    assert forged.headers["X-Request-ID"] != 'x" level=ERROR'
    delivery = load_delivery("02")
    receiver = requests.post(f"{service.url}/webhooks/woocommerce/unknown-id", data=delivery.body,
                             headers={"X-Request-ID": "delivery-7"}, timeout=10)
    assert receiver.status_code == 404 and receiver.headers["X-Request-ID"] == "delivery-7"
    connection_id = make_connection()
    deleted = requests.delete(f"{service.url}/api/connections/{connection_id}", timeout=30,
                              headers={"Authorization": f"Bearer {environment['ADMIN_TOKEN']}", "X-Request-ID": "delete-1"})
    assert deleted.status_code == 204
    def lines_of_deletion():
        lines = [line for line in json_lines(log_of(service, "web")) if "delete-1" in json.dumps(line)]
        return lines if any(line["logger"] == "gunicorn.access" for line in lines) else None  # logged last

    lines = wait_until(lines_of_deletion, what="the deletion's log lines")
    app_lines = [line for line in lines if line["logger"].startswith("connections")]
    assert app_lines and all(line["request_id"] == "delete-1" for line in app_lines)
    text = log_of(service, "web")
    assert not any(environment[name] in text for name in SECRETS)


def test_job_lines_carry_the_job_and_connection_ids(start_service, redis_client, environment):
    service = start_service(web=False, workers=1, extra={"LOG_FORMAT": "json"})
    connection_id = make_connection()
    job = queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event", connection_id, "order", "updated", load_delivery("04").json(), datetime.now(UTC).isoformat()
    )
    wait_until(lambda: job.get_status(refresh=True) == "finished", what="the event job")

    def lines_of_job():
        return [line for line in json_lines(log_of(service, "worker0")) if line.get("job_id") == job.id]

    lines = wait_until(lines_of_job, what="the job's log lines")
    assert any("order.updated" in line["message"] for line in lines)
    assert all(line["connection_id"] == connection_id for line in lines)
    assert not any(environment[name] in log_of(service, "worker0") for name in SECRETS)
