"""Failures a store causes, in plain words: what a waiting poll waits for, why a run failed and
what to do, a failed job named by its connection's name, and one warning line in the worker's log."""

import logging
import sys

import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry

import config
from jobs import poll_waits
from jobs.polls import PollFailed
from jobs.queues import POLLS_QUEUE, SERIALIZER, queue
from jobs.refresh import StoreUnavailable, refresh_records
from jobs.registration import RegistrationIncomplete, register_connection_webhooks
from jobs.store_trouble import ExpectedFailure
from jobs.worker import Worker
from stores.woocommerce.client import RetryPolicy
from tests.test_console import console, text  # noqa: F401  (console is a fixture)
from tests.test_polling import sync, sync_run

# The store's answer, and the words the run's failure starts with and its "what to do" holds.
ANSWERS = [
    (429, "The store is busy and asks Storelink to wait (the store answered 429", "poll less often"),
    (503, "The store is failing (the store answered 503", "store's error log"),
    (401, "The store refused the API keys (the store refused the request", "Edit connection"),
    (403, "The API keys lack permission (the store refused the request", "Read/Write permission"),
    (404, "The store's REST API did not find what Storelink asked for (the store answered 404", "Plain"),
    (301, "The store sends Storelink to another address (the store redirects", "API URL"),
    (400, "The store answered unexpectedly (the store answered 400", "security plugins"),
]


@pytest.fixture
def one_attempt(monkeypatch):
    """Polls give up at the first failure instead of waiting for the store."""
    monkeypatch.setattr(poll_waits, "STORE_WAITS", RetryPolicy(attempts=1))


@pytest.mark.parametrize(("status", "cause", "next_step"), ANSWERS)
def test_every_answer_that_fails_a_poll_gets_a_cause_and_what_to_do(
    client, store, connect, run_jobs, redis_client, one_attempt, status, cause, next_step
):
    connection = connect(name="Corner shop")
    store.fail_next("/orders", status, count=5)
    run = sync(client, connection["id"], "orders")
    run_jobs()
    failed = sync_run(client, connection["id"], run["run_id"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith(cause), failed["error"]
    assert "What to do: " in failed["error"] and next_step in failed["error"].split("What to do: ")[1]
    [reason] = [job["reason"] for job in client.get(f"/api/connections/{connection['id']}/status").json["jobs"]["failed"]]
    assert reason.startswith("Polling orders of “Corner shop” failed: " + cause)
    assert "PollFailed" not in reason and connection["id"] not in reason


def test_a_store_that_is_down_reads_plainly_everywhere(client, console, store, connect, run_jobs_and_resumptions, monkeypatch):  # noqa: F811
    connection = connect(name="Corner shop")
    port = store.port
    store.stop()
    monkeypatch.setattr(poll_waits, "STORE_WAITS", RetryPolicy(attempts=3, base_delay=0.1))
    run = sync(client, connection["id"], "orders")
    run_jobs_and_resumptions()
    failed = sync_run(client, connection["id"], run["run_id"])
    assert failed["error"].startswith(f"The store is not answering (cannot connect to 127.0.0.1:{port}: Connection refused)")
    for raw in ("urllib3", "HTTPConnection", "Errno", "Failed to establish"):
        assert raw not in failed["error"]
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "poll of orders for “Corner shop”" in page  # the job, by the connection's name
    assert "Polling orders of “Corner shop” failed: The store is not answering" in page
    assert "jobs.polls.PollFailed" not in page


@pytest.fixture
def short_store_timeout(monkeypatch):
    monkeypatch.setenv("STORE_TIMEOUT_SECONDS", "1")
    config.get_settings.cache_clear()
    yield
    monkeypatch.undo()
    config.get_settings.cache_clear()


def test_a_store_too_slow_to_answer_is_waited_for_as_such(client, store, connect, run_jobs, short_store_timeout):
    connection = connect()
    store.delay_next("/orders", 3)
    run = sync(client, connection["id"], "orders")
    run_jobs()
    waiting = sync_run(client, connection["id"], run["run_id"])["error"]
    assert waiting.startswith("store not answering in time (127.0.0.1:")
    assert "; retry 1 of 5 in 2 s, at " in waiting


def failed_poll_job(redis_client, exception: Exception) -> tuple[Job, tuple]:
    job = queue(POLLS_QUEUE, redis_client).enqueue("jobs.polls.run_sync", "run-id", description="poll of orders for x")
    try:
        raise exception
    except Exception:
        return job, sys.exc_info()


def test_the_worker_logs_a_store_failure_as_one_warning_line_and_other_errors_with_their_traceback(redis_client, caplog):
    worker = Worker([queue(POLLS_QUEUE, redis_client)], connection=redis_client, serializer=SERIALIZER)
    job, exc_info = failed_poll_job(redis_client, PollFailed("Polling orders of “Shop” failed: The store is not answering"))
    with caplog.at_level(logging.INFO):
        worker.handle_exception(job, *exc_info)
    [line] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert (line.levelname, line.getMessage()) == ("WARNING", "Polling orders of “Shop” failed: The store is not answering")
    assert line.exc_info is None and "Traceback" not in caplog.text
    caplog.clear()
    job, exc_info = failed_poll_job(redis_client, KeyError("cursor"))
    with caplog.at_level(logging.INFO):
        worker.handle_exception(job, *exc_info)
    assert "Traceback" in caplog.text and "KeyError" in caplog.text


def test_an_expected_failure_must_be_listed_to_read_plainly():
    with pytest.raises(TypeError, match="EXPECTED_FAILURE_NAMES"):
        type("Unlisted", (ExpectedFailure,), {"__module__": "jobs.elsewhere"})


def test_the_failed_registry_keeps_the_plain_reason(client, store, connect, run_jobs, redis_client, one_attempt):
    connection = connect(name="Corner shop")
    store.fail_next("/orders", 503, count=5)
    sync(client, connection["id"], "orders")
    run_jobs()
    [job_id] = FailedJobRegistry(POLLS_QUEUE, connection=redis_client, serializer=SERIALIZER).get_job_ids()
    exc_string = Job.fetch(job_id, connection=redis_client, serializer=SERIALIZER).latest_result().exc_string
    assert exc_string.strip().splitlines()[-1].startswith("jobs.polls.PollFailed: Polling orders of “Corner shop”")


def test_a_registration_the_store_fails_says_so_plainly(client, store):
    response = client.post(
        "/api/connections",
        json={"name": "Corner shop", "external_system": "woocommerce", "api_url": store.base_url,
              "access_token": store.key, "secret": store.secret},
    )
    connection_id = response.json["id"]
    store.fail_next("webhooks", 503, count=100)  # the listing too: the store cannot be asked
    with pytest.raises(RegistrationIncomplete) as listing_failed:
        register_connection_webhooks(connection_id)
    assert str(listing_failed.value).startswith("Registering the webhooks of “Corner shop” failed: The store is failing (")
    store.clear_faults()
    store.fail_next("webhooks", 500, count=2, method="POST")  # two topics refused, the rest registered
    with pytest.raises(RegistrationIncomplete) as refused:
        register_connection_webhooks(connection_id)
    assert str(refused.value).startswith("The store did not register 2 of the 8 webhooks of “Corner shop” (")
    assert "What to do: The store pings each webhook's delivery address" in str(refused.value)


def test_a_record_the_store_cannot_be_asked_about_fails_plainly(client, store, connect):
    connection = connect(name="Corner shop")
    store.stop()
    with pytest.raises(StoreUnavailable) as failed:
        refresh_records(connection["id"], "order", ["7", "8"])
    assert str(failed.value).startswith("Asking the store of “Corner shop” about order 7, 8 failed: The store is not answering (")


def test_a_store_not_answering_is_waited_for_at_the_first_call_not_after_every_calls_timeout(
    client, store, connect, run_jobs, short_store_timeout
):
    connection = connect()
    store.delay_next("webhooks", 3)  # the poll's first call: checking the webhooks
    store.requests.clear()
    run = sync(client, connection["id"], "orders")
    run_jobs()
    assert sync_run(client, connection["id"], run["run_id"])["error"].startswith("store not answering in time (")
    assert not [request for request in store.requests if request.path.endswith(("/orders", "/system_status"))]
