"""The list of connections, one connection's page, and deleting one."""

from flask import flash, redirect, render_template, url_for
from redis.exceptions import RedisError
from sqlalchemy import select

from api.record_queries import record_counts, removed_connections
from api.resources import connection_service, get_redis, get_session
from connections.delivery_gap import undelivered_changes
from connections.schedules import (
    MAX_FULL_EVERY_MINUTES,
    MAX_INTERVAL_MINUTES,
    MIN_FULL_EVERY_MINUTES,
    MIN_INTERVAL_MINUTES,
)
from console.blueprint import bp
from console.health import health_of, last_delivery, webhook_report
from db.models import SyncRun
from jobs.failures import failed_jobs
from jobs.scheduling import active_run
from stores.registry import connector_for

RECENT_RUNS_SHOWN = 10
# The schedule form's bounds: the API's own.
SCHEDULE_LIMITS = {
    "interval_minutes": (MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES),
    "full_every_minutes": (MIN_FULL_EVERY_MINUTES, MAX_FULL_EVERY_MINUTES),
}


@bp.get("/")
def connections():
    """External system connectors: every active connection and its health at a glance."""
    items = connection_service().list_active()
    return render_template(
        "console/connections.html",
        connections=items,
        health=health_of(items, get_redis(), get_session()),
        removed=removed_connections(get_session()),
    )


def render_connection(
    connection_id: str, *, status: int = 200, schedule_errors: dict | None = None, schedule_values: dict | None = None
):
    """A connection's page; the schedule forms may come back with their errors."""
    service = connection_service(quick=True)
    connection = service.get(connection_id)
    # Asked first: the store call ends the transaction, the reads below start a fresh one.
    report = webhook_report(service, connection)
    session = get_session()
    runs = list(
        session.scalars(
            select(SyncRun)
            .where(SyncRun.connection_id == connection.id)
            .order_by(SyncRun.id.desc())
            .limit(RECENT_RUNS_SHOWN)
        )
    )
    active = {schedule.entity: active_run(session, connection.id, schedule.entity) for schedule in connection.schedules}
    try:
        failed = failed_jobs(get_redis(), connection.public_id)
    except RedisError:
        failed = None
    page = render_template(
        "console/connection.html",
        connection=connection,
        report=report,
        last_delivery_at=last_delivery(connection),
        undelivered=undelivered_changes(session, connection),
        runs=runs,
        counts=record_counts(session, connection.id),
        active=active,
        failed=failed,
        schedule_errors=schedule_errors or {},
        schedule_values=schedule_values or {},
        limits=SCHEDULE_LIMITS,
    )
    return page, status


@bp.get("/connections/<connection_id>")
def connection(connection_id: str):
    """Fields, webhooks as the store reports them, schedules, sync runs, failed jobs."""
    return render_connection(connection_id)


@bp.get("/connections/<connection_id>/delete")
def confirm_delete(connection_id: str):
    """Ask before deleting: the store's webhooks go too."""
    connection = connection_service().get(connection_id)
    counts = record_counts(get_session(), connection.id)
    return render_template("console/confirm_delete.html", connection=connection, counts=counts)


@bp.post("/connections/<connection_id>/delete")
def delete(connection_id: str):
    """Remove the store's webhooks (best effort) and the connection."""
    service = connection_service()
    connection = service.get(connection_id)
    name, place = connection.name, connector_for(connection.external_system).texts["webhooks_place"]
    removal = service.delete(connection)
    if removal.failures:
        ids = ", ".join(sorted(removal.failures, key=lambda i: (len(i), i)))  # decimal ids in numeric order
        flash(
            f"Connection “{name}” deleted, but the store kept webhooks {ids}: remove them under "
            f"{place} (they will fail and be disabled otherwise).",
            "warning",
        )
    else:
        flash(f"Connection “{name}” deleted; {removal.removed} webhooks removed from the store.", "success")
    return redirect(url_for("console.connections"))
