"""`storelink`, the operator's command line, against the real database, Redis, workers and the store emulator."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

import config
from cli import main
from db.models import Order, SyncRun
from db.session import transaction
from jobs.buffer import SHARDS, EventBuffer
from jobs.queues import EVENTS_QUEUE, SERIALIZER, queue
from jobs.spool import spool_delivery
from stores.woocommerce.webhooks import TOPICS
from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from tests.factories import FIXTURE_KEY, FIXTURE_SECRET, make_connection
from tests.services import ROOT

STORELINK = Path(sys.executable).parent / "storelink"  # the console script, as a dyno runs it


def storelink(*args: str) -> tuple[int, str]:
    """Run a command in this process; answer its exit code and everything it wrote."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def run_installed(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the installed `storelink` script in a process of its own."""
    return subprocess.run([STORELINK, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)


def failed_event_job(redis_client, run_jobs, connection_id: str) -> Job:
    """An event job of the connection that the mapper refuses, failed by a real worker."""
    job = queue(EVENTS_QUEUE, redis_client).enqueue(
        "jobs.events.ingest_event", connection_id, "order", "updated", {"id": 5, "date_modified_gmt": "soon"},
        datetime.now(UTC).isoformat(),
    )
    run_jobs()
    return job


def assert_no_secret(output: str) -> None:
    for secret in (SECRET_KEY, ADMIN_TOKEN, FIXTURE_SECRET, FIXTURE_KEY):
        assert secret not in output


def test_connections_list_and_show_give_each_connection_health(connect, store, redis_client, run_jobs):
    healthy = connect(name="Healthy shop")
    failing = make_connection()
    failed_event_job(redis_client, run_jobs, failing)

    code, output = storelink("connections", "list")

    assert code == 0, output
    lines = {line.split()[0]: line for line in output.splitlines()}
    assert set(lines) == {healthy["id"], failing}
    assert f"  ok  webhooks {len(TOPICS)}/{len(TOPICS)} active" in lines[healthy["id"]] and "failed jobs 0" in lines[healthy["id"]]
    assert f"Healthy shop <{store.base_url}" in lines[healthy["id"]]
    assert "ATTENTION" in lines[failing] and "failed jobs 1" in lines[failing]

    code, output = storelink("connections", "show", healthy["id"])

    assert code == 0, output
    assert f"store: {store.base_url}" in output and "consumer key ck_…" in output
    webhook_lines = [line for line in output.splitlines() if line.startswith("webhook ")]
    assert len(webhook_lines) == len(TOPICS) and all("active on the store (recorded active)" in line for line in webhook_lines)
    assert "poll orders: every 60 min, active" in output and "failed jobs: 0" in output
    assert_no_secret(output)

    code, output = storelink("connections", "show", failing)
    assert "store not reachable: unreachable" in output and "failed jobs: 1" in output and "date_modified_gmt" in output

    code, output = storelink("connections", "show", "no-such-connection")
    assert code == 1 and "No active connection 'no-such-connection'" in output


def test_sync_queues_a_poll_that_a_worker_runs(connect, store, run_jobs, database_url):
    connection = connect()
    for _ in range(3):
        store.create_order()

    code, output = storelink("sync", connection["id"], "orders", "--full")
    assert code == 0, output
    assert output.startswith("Sync run ") and "queued: a full pass of orders of " in output
    code, again = storelink("sync", connection["id"], "orders")
    assert code == 0 and "is already queued: not starting another" in again

    run_jobs()

    with transaction(database_url) as session:
        run = session.scalars(select(SyncRun).where(SyncRun.trigger == "manual")).one()
        assert (run.status, run.full, run.records) == ("succeeded", True, 3)
        assert session.scalar(select(func.count()).select_from(Order)) == 3
    code, output = storelink("sync", connection["id"], "customers")
    assert code == 2 and "'customers' is not one of 'orders', 'products'" in output


def test_failed_jobs_are_listed_retried_and_deleted(environment, redis_client, run_jobs):
    connection_id, other_id = make_connection(), make_connection()
    first = failed_event_job(redis_client, run_jobs, connection_id)
    second = failed_event_job(redis_client, run_jobs, other_id)
    registry = FailedJobRegistry(EVENTS_QUEUE, connection=redis_client, serializer=SERIALIZER)

    code, output = storelink("jobs", "failed")
    assert code == 0 and sorted(line.split()[0] for line in output.splitlines()) == sorted([first.id, second.id])
    assert "date_modified_gmt" in output
    code, output = storelink("jobs", "failed", "--connection", other_id)
    assert [line.split()[0] for line in output.splitlines()] == [second.id]

    code, output = storelink("jobs", "retry", first.id)
    assert code == 0 and output == f"{first.id}: queued again\n"
    assert registry.get_job_ids() == [second.id] and queue(EVENTS_QUEUE, redis_client).job_ids == [first.id]

    code, output = storelink("jobs", "delete", second.id, "no-such-job")
    assert code == 1
    assert output.splitlines() == [
        f"{second.id}: deleted", "no-such-job: no such failed job (already retried, deleted or expired?)"
    ]
    assert registry.get_job_ids() == [] and not Job.exists(second.id, connection=redis_client)
    assert storelink("jobs", "failed") == (0, "No failed jobs.\n")


def test_spool_drain_moves_spooled_deliveries_to_the_buffer_and_queues_their_drain(environment, redis_client, database_url):
    connection_id = make_connection()
    with transaction(database_url) as session:
        for number in (1, 2):
            spool_delivery(session, connection_id, "order", "updated", {"id": number}, datetime.now(UTC))

    code, output = storelink("spool", "drain")

    assert code == 0 and output == "Moved 2 spooled deliveries to the event buffer.\n"
    buffer = EventBuffer(redis_client)
    assert sum(buffer.waiting(shard) for shard in range(SHARDS)) == 2
    assert queue(EVENTS_QUEUE, redis_client).count == 1  # a drain for the shard that holds them
    assert storelink("spool", "drain") == (0, "Moved 0 spooled deliveries to the event buffer.\n")


def test_check_prints_the_start_up_checks(environment):
    make_connection()
    code, output = storelink("check")
    assert code == 0, output
    assert output.splitlines() == [
        "mode: neither", "ok: settings", "ok: database; SECRET_KEY decrypts every stored credential", "ok: Redis"
    ]


def test_check_names_every_problem_as_the_processes_would_and_no_secret(environment, tmp_path):
    make_connection()
    weak_token = "x" * 40
    production = {**os.environ, **environment, "DYNO": "run.1", "ADMIN_TOKEN": weak_token, "CLOCK_TICK_SECONDS": "soon"}
    done = run_installed(production, "check")

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "problem: CLOCK_TICK_SECONDS must be a number of seconds above 0, not 'soon'",
        "problem: ADMIN_TOKEN holds only 1 different character: use a random one with at least 8"
        " (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        f"problem: PUBLIC_URL must be an https:// address stores can reach, not {environment['PUBLIC_URL']!r}",
        "3 problems: every process would refuse to start, or start unchecked",
    ]
    assert weak_token not in done.stdout + done.stderr

    other_key = "another-key-that-did-not-encrypt-them"
    done = run_installed({**os.environ, **environment, "SECRET_KEY": other_key}, "check")
    assert done.returncode == 1
    assert "problem: the stored credentials of 1 connection do not decrypt with SECRET_KEY" in done.stdout
    assert other_key not in done.stdout + done.stderr
    assert_no_secret(done.stdout + done.stderr)


def test_commands_refuse_settings_no_process_could_run_with(environment, monkeypatch):
    monkeypatch.setenv("FAILED_JOB_TTL_DAYS", "a month")
    config.get_settings.cache_clear()
    try:
        code, output = storelink("jobs", "failed")
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()
    assert code == 1
    assert output.splitlines() == [
        "Configuration problem: FAILED_JOB_TTL_DAYS must be a whole number of at least 1, not 'a month'",
        "Nothing done (storelink check shows the whole configuration).",
    ]


def test_public_ids_never_look_like_options(environment):
    from db.ids import is_public_id, new_public_id

    ids = [new_public_id(16) for _ in range(2000)]
    assert all(public_id[0].isalnum() and is_public_id(public_id) for public_id in ids)
