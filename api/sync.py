"""Admin API: polling schedules, sync runs, and a connection's health."""

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import select

from api.auth import require_admin_token
from api.errors import error_response
from api.inputs import load_body
from api.representations import ScheduleListOut, SyncRunListOut, SyncStartOut
from api.resources import connection_service, get_buffer, get_redis, get_session, get_settings
from api.schemas import ScheduleInput, SyncInput, schedule_json, sync_run_json
from api.status_representation import ConnectionStatusOut
from connections.delivery_gap import undelivered_changes
from db.models import ENTITIES, Schedule, SyncRun
from jobs.buffer import shard_of
from jobs.failures import failed_jobs, queued_counts
from jobs.notify import notification_status
from jobs.scheduling import active_run, change_schedule, find_run, start_sync
from stores.errors import StoreError
from stores.registry import connector_for

bp = Blueprint("sync", __name__, url_prefix="/api/connections")
require_admin_token(bp)

RECENT_RUNS_SHOWN = 10
# The schemas that dump these answers also document them (api.openapi).
_SCHEDULES = ScheduleListOut()
_SYNC_START = SyncStartOut()
_SYNC_RUNS = SyncRunListOut()
_STATUS = ConnectionStatusOut()


@bp.get("/<connection_id>/schedules")
def list_schedules(connection_id: str):
    """The polling schedule of each entity."""
    connection = connection_service().get(connection_id)
    return jsonify(_SCHEDULES.dump({"items": connection.schedules}))


@bp.put("/<connection_id>/schedules/<entity>")
def put_schedule(connection_id: str, entity: str):
    """Set an entity's polling interval, whether it polls at all, and how often a poll is a full pass."""
    connection = connection_service().get(connection_id)
    if entity not in ENTITIES:
        return error_response(404, "not_found", f"no schedule {entity!r}; entities: {', '.join(ENTITIES)}")
    values = load_body(ScheduleInput())
    schedule = next((item for item in connection.schedules if item.entity == entity), None)
    if schedule is None:
        schedule = Schedule(entity=entity)
        connection.schedules.append(schedule)
    change_schedule(
        schedule,
        interval_minutes=values["interval_minutes"],
        active=values["active"],
        full_every_minutes=values.get("full_every_minutes"),
    )
    get_session().commit()
    return jsonify(schedule_json(schedule))


@bp.post("/<connection_id>/sync")
def sync_now(connection_id: str):
    """Poll an entity now: 202 with the run (the one already active, if any)."""
    connection = connection_service().get(connection_id)
    values = load_body(SyncInput())
    try:
        run, created = start_sync(
            get_session(), get_redis(), connection, values["entity"], full=values["full"], trigger="manual"
        )
    except RedisError:
        return error_response(503, "unavailable", "the queue is unavailable; try again shortly")
    return jsonify(_SYNC_START.dump((run, {"created": created}))), 202


@bp.get("/<connection_id>/sync-runs")
def list_sync_runs(connection_id: str):
    """The most recent sync runs, newest first."""
    connection = connection_service().get(connection_id)
    runs = get_session().scalars(
        select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(RECENT_RUNS_SHOWN)
    )
    return jsonify(_SYNC_RUNS.dump({"items": runs}))


@bp.get("/<connection_id>/sync-runs/<run_id>")
def get_sync_run(connection_id: str, run_id: str):
    """One run's status and progress."""
    connection = connection_service().get(connection_id)
    run = find_run(get_session(), connection.id, run_id)
    if run is None:
        return error_response(404, "not_found", "no sync run with that id in this connection")
    return jsonify(sync_run_json(run))


@bp.get("/<connection_id>/status")
def status(connection_id: str):
    """Webhook health as the store reports it, polling per entity, queued and failed jobs."""
    service = connection_service()
    connection = service.get(connection_id)
    store = {"reachable": True, "error": None}
    connector = connector_for(connection.external_system)
    on_store: dict[str, str | None] = {}  # each webhook's status by its id
    client = service.client_for(connection)
    service.release()
    try:
        with client:
            on_store = connector.webhooks_on_store(client)
    except StoreError as error:
        store = {"reachable": False, "error": error.to_dict()}
    webhooks = []
    for webhook in connection.webhooks:
        found = webhook.store_webhook_id is not None and str(webhook.store_webhook_id) in on_store
        live_status = on_store[str(webhook.store_webhook_id)] if found else None
        webhooks.append(
            {
                "topic": webhook.topic,
                "store_webhook_id": webhook.store_webhook_id,
                "store_status": live_status if store["reachable"] else None,
                "missing_on_store": store["reachable"] and not found,
                # Paused, disabled or missing: nothing is delivered until a poll repairs it.
                "needs_repair": connector.needs_repair(live_status if found else None) if store["reachable"] else None,
                "last_delivery_at": webhook.last_delivery_at,
                "error": webhook.error,
            }
        )
    polling = {}
    for schedule in connection.schedules:
        running = active_run(get_session(), connection.id, schedule.entity)
        polling[schedule.entity] = (schedule, {"active_run": running})
    return jsonify(
        _STATUS.dump(
            {
                "id": connection.public_id,
                "needs_attention": connection.needs_attention,
                "store": store,
                "webhooks": webhooks,
                "webhooks_ok": None
                if not store["reachable"]
                else bool(webhooks) and not any(w["needs_repair"] for w in webhooks),
                "last_delivery_at": max(
                    (w.last_delivery_at for w in connection.webhooks if w.last_delivery_at), default=None
                ),
                # Polls that keep storing changes no delivery brought: webhooks that cannot reach us.
                "undelivered_changes": undelivered_changes(get_session(), connection),
                "polling": polling,
                "jobs": _jobs(connection.public_id),
                "notifications": _notifications(connection.id),
            }
        )
    )


def _notifications(connection_pk: int) -> list[dict] | dict:
    """The back office's notification endpoints and whether they acknowledge (jobs.notify)."""
    try:
        return notification_status(get_settings(), get_redis(), get_session(), connection_pk)
    except RedisError:
        return {"available": False}


def _jobs(connection_id: str) -> dict:
    """Queue lengths and this connection's failed jobs (RQ's failed registry)."""
    redis = get_redis()
    try:
        queued = queued_counts(redis)
        # Deliveries accepted but not stored yet, in the shard this connection's events go to.
        buffered = get_buffer().waiting(shard_of(connection_id))
        failed = failed_jobs(redis, connection_id)
    except RedisError:
        return {"available": False}
    return {"available": True, "queued": queued, "buffered_events": buffered, "failed": failed}
