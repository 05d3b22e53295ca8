"""`storelink connections list|show` (with their health) and `storelink sync` (a poll now)."""

import click
from redis.exceptions import RedisError

from cli.context import connection_or_exit, fail, redis, service, when
from connections.delivery_gap import undelivered_changes
from console.health import health_of, last_delivery, webhook_report
from db.models import ENTITIES
from jobs.failures import failed_jobs
from jobs.scheduling import start_sync


def init_cli(group: click.Group) -> None:
    """Add the commands to `group`."""
    group.add_command(connections)
    group.add_command(sync)


@click.group()
def connections() -> None:
    """Connections and their health."""


@connections.command("list")
def list_connections() -> None:
    """Every active connection, one line each: id, health, webhooks, last delivery, failed jobs, name and store."""
    with service() as use_cases:
        items = use_cases.list_active()
        health = health_of(items, redis(), use_cases.session)
        if not items:
            click.echo("No connections.")
        for connection in items:
            state = health[connection.public_id]
            failed = "?" if state.failed_jobs is None else state.failed_jobs
            click.echo(
                f"{connection.public_id}  {'ok' if state.ok else 'ATTENTION'}  "
                f"webhooks {state.webhooks_active}/{state.webhooks_total} active  "
                f"last delivery {when(state.last_delivery_at)}  failed jobs {failed}  "
                f"{state.cause + '  ' if state.cause else ''}"
                f"{'webhooks not arriving  ' if state.undelivered else ''}"
                f"{connection.name} <{connection.api_url}>"
            )


@connections.command()
@click.argument("connection_id")
def show(connection_id: str) -> None:
    """One connection: its store, webhooks as the store reports them, schedules and failed jobs."""
    with service() as use_cases:
        connection = connection_or_exit(use_cases, connection_id)
        click.echo(f"{connection.public_id}  {connection.name}")
        click.echo(f"store: {connection.api_url} (consumer key {connection.access_token_masked}, auth {connection.auth_mode})")
        click.echo(f"warehouse: {connection.warehouse or '-'}")
        if connection.needs_attention:
            click.echo(f"needs attention: {connection.needs_attention}")
        report = webhook_report(use_cases, connection)
        if report.store_error is not None:
            click.echo(f"store not reachable: {report.store_error.code}: {report.store_error.message}")
        click.echo(f"last delivery: {when(last_delivery(connection))}")
        undelivered = undelivered_changes(use_cases.session, connection)
        if undelivered is not None:
            click.echo(f"webhooks not arriving: {undelivered.message}")
        for row in report.rows:
            on_store = "missing on the store" if row.missing_on_store else f"{row.store_status or '?'} on the store"
            click.echo(f"webhook {row.topic}: {on_store} (recorded {row.recorded_status}), last delivery {when(row.last_delivery_at)}")
        for schedule in connection.schedules:
            click.echo(
                f"poll {schedule.entity}: every {schedule.interval_minutes} min, {'active' if schedule.active else 'paused'}, "
                f"last {when(schedule.last_poll_at)}, next {when(schedule.next_poll_at) if schedule.active else '-'}"
            )
        try:
            failed = failed_jobs(redis(), connection.public_id)
        except RedisError as error:
            click.echo(f"failed jobs: unknown (Redis did not answer: {type(error).__name__})")
            return
        click.echo(f"failed jobs: {len(failed)}")
        for job in failed:
            click.echo(f"  {job.job_id}  {when(job.failed_at)}  {job.description}: {job.reason}")


@click.command()
@click.argument("connection_id")
@click.argument("entity", type=click.Choice(ENTITIES))
@click.option("--full", is_flag=True, help="A full pass: also finds records force-deleted on the store.")
def sync(connection_id: str, entity: str, full: bool) -> None:
    """Poll a connection's orders or products now (a worker runs it)."""
    with service() as use_cases:
        connection = connection_or_exit(use_cases, connection_id)
        try:
            run, created = start_sync(
                use_cases.session, redis(), connection, entity, full=full, trigger="manual"
            )
        except RedisError as error:
            fail(f"Not started: Redis did not answer ({type(error).__name__}).")
        if created:
            click.echo(f"Sync run {run.public_id} queued: {'a full pass of ' if full else ''}{entity} of {connection.public_id}.")
        else:
            click.echo(f"Sync run {run.public_id} of {entity} is already {run.status}: not starting another.")
