"""`storelink jobs failed|retry|delete` (RQ's failed registries) and `storelink spool drain`."""

import click
from redis.exceptions import RedisError

from cli.context import checked_settings, fail, redis, when
from db.session import transaction
from jobs.buffer import EventBuffer
from jobs.clock import queue_missing_drains
from jobs.failures import FAILED_JOBS_SCANNED, delete_failed_job, failed_jobs, retry_failed_job
from jobs.spool import drain_spool


def init_cli(group: click.Group) -> None:
    """Add the commands to `group`."""
    group.add_command(jobs)
    group.add_command(spool)


@click.group()
def jobs() -> None:
    """Failed jobs: list, retry, delete."""


@jobs.command("failed")
@click.option("--connection", "connection_id", help="Only this connection's failed jobs.")
def list_failed(connection_id: str | None) -> None:
    """Failed jobs: id, when, queue, what and why (never the record itself)."""
    try:
        found = failed_jobs(redis(), connection_id, limit=FAILED_JOBS_SCANNED)
    except RedisError as error:
        fail(f"Redis did not answer ({type(error).__name__}).")
    if not found:
        click.echo("No failed jobs.")
    for job in found:
        click.echo(f"{job.job_id}  {when(job.failed_at)}  {job.queue}  {job.description}: {job.reason}")


@jobs.command()
@click.argument("job_ids", nargs=-1, required=True)
def retry(job_ids: tuple[str, ...]) -> None:
    """Put failed jobs back in their queue (a worker runs them again)."""
    _each(job_ids, lambda job_id: retry_failed_job(redis(), None, job_id), "queued again")


@jobs.command()
@click.argument("job_ids", nargs=-1, required=True)
def delete(job_ids: tuple[str, ...]) -> None:
    """Delete failed jobs and what they held, for good."""
    _each(job_ids, lambda job_id: delete_failed_job(redis(), job_id), "deleted")


def _each(job_ids: tuple[str, ...], act, done: str) -> None:
    """Act on each job; say what became of each; exit 1 if any was not a failed job."""
    missing = 0
    for job_id in job_ids:
        try:
            acted = act(job_id)
        except RedisError as error:
            fail(f"Redis did not answer ({type(error).__name__}).")
        missing += not acted
        click.echo(f"{job_id}: {done}" if acted else f"{job_id}: no such failed job (already retried, deleted or expired?)")
    if missing:
        raise SystemExit(1)


@click.group()
def spool() -> None:
    """Deliveries kept in the database while Redis was unreachable."""


@spool.command()
def drain() -> None:
    """Move spooled deliveries into the event buffer now and queue their drains (the clock does it every tick)."""
    settings = checked_settings()
    buffer = EventBuffer(redis())
    try:
        with transaction(settings.database_url) as session:
            moved = drain_spool(session, buffer)
        queue_missing_drains(buffer, settings.event_retry_seconds)
    except RedisError as error:
        fail(f"Redis did not answer ({type(error).__name__}); the spool keeps what was not moved.")
    click.echo(f"Moved {moved} spooled deliver{'y' if moved == 1 else 'ies'} to the event buffer.")
