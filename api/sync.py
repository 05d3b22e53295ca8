"""Admin API: polling schedules, sync runs, and a connection's health."""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from api.auth import require_admin_token
from api.errors import error_response
from api.inputs import load_body
from api.schemas import ScheduleInput, SyncInput, isoformat, schedule_json, sync_run_json
from connections.service import ConnectionService
from db.models import ENTITIES, SyncRun
from db.types import utcnow
from jobs.queues import EVENTS_QUEUE, POLLS_QUEUE, QUEUES, SERIALIZER, queue
from jobs.scheduling import active_run, start_sync
from stores.woocommerce.errors import StoreError
from web.resources import get_redis, get_session, get_settings, get_vault
from webhooks.registration import list_store_webhooks

bp = Blueprint("sync", __name__, url_prefix="/api/connections")
require_admin_token(bp)

# Failed jobs examined per status request; the registry can be large.
FAILED_JOBS_SCANNED = 500
FAILED_JOBS_SHOWN = 20
RECENT_RUNS_SHOWN = 10


def _service() -> ConnectionService:
    return ConnectionService(get_settings(), get_session(), get_vault())


@bp.get("/<connection_id>/schedules")
def list_schedules(connection_id: str):
    """The polling schedule of each entity."""
    connection = _service().get(connection_id)
    return jsonify(items=[schedule_json(schedule) for schedule in connection.schedules])


@bp.put("/<connection_id>/schedules/<entity>")
def put_schedule(connection_id: str, entity: str):
    """Set an entity's polling interval and whether it polls at all."""
    connection = _service().get(connection_id)
    if entity not in ENTITIES:
        return error_response(404, "not_found", f"no schedule {entity!r}; entities: {', '.join(ENTITIES)}")
    values = load_body(ScheduleInput())
    schedule = next(item for item in connection.schedules if item.entity == entity)
    schedule.interval_minutes = values["interval_minutes"]
    schedule.active = values["active"]
    # The next poll follows from the last one and the new interval; overdue means now.
    now = utcnow()
    if schedule.last_poll_at is None:
        schedule.next_poll_at = now
    else:
        schedule.next_poll_at = max(now, schedule.last_poll_at + timedelta(minutes=schedule.interval_minutes))
    get_session().commit()
    return jsonify(schedule_json(schedule))


@bp.post("/<connection_id>/sync")
def sync_now(connection_id: str):
    """Poll an entity now: 202 with the run (the one already active, if any)."""
    connection = _service().get(connection_id)
    values = load_body(SyncInput())
    try:
        run, created = start_sync(
            get_session(), get_redis(), connection, values["entity"], full=values["full"], trigger="manual"
        )
    except RedisError:
        return error_response(503, "unavailable", "the queue is unavailable; try again shortly")
    return jsonify({**sync_run_json(run), "created": created}), 202


@bp.get("/<connection_id>/sync-runs")
def list_sync_runs(connection_id: str):
    """The most recent sync runs, newest first."""
    connection = _service().get(connection_id)
    runs = get_session().scalars(
        select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(RECENT_RUNS_SHOWN)
    )
    return jsonify(items=[sync_run_json(run) for run in runs])


@bp.get("/<connection_id>/sync-runs/<run_id>")
def get_sync_run(connection_id: str, run_id: str):
    """One run's status and progress."""
    connection = _service().get(connection_id)
    run = get_session().scalar(
        select(SyncRun).where(SyncRun.connection_id == connection.id, SyncRun.public_id == run_id)
    )
    if run is None:
        return error_response(404, "not_found", "no sync run with that id in this connection")
    return jsonify(sync_run_json(run))


@bp.get("/<connection_id>/status")
def status(connection_id: str):
    """Webhook health as the store reports it, polling per entity, queued and failed jobs."""
    service = _service()
    connection = service.get(connection_id)
    store = {"reachable": True, "error": None}
    on_store: dict[int, dict] = {}
    client = service.client_for(connection)
    service.release()
    try:
        with client:
            on_store = {hook.get("id"): hook for hook in list_store_webhooks(client)}
    except StoreError as error:
        store = {"reachable": False, "error": error.to_dict()}
    webhooks = []
    for webhook in connection.webhooks:
        live = on_store.get(webhook.store_webhook_id)
        webhooks.append(
            {
                "topic": webhook.topic,
                "store_webhook_id": webhook.store_webhook_id,
                "store_status": (live or {}).get("status") if store["reachable"] else None,
                "missing_on_store": store["reachable"] and live is None,
                "last_delivery_at": isoformat(webhook.last_delivery_at),
                "error": webhook.error,
            }
        )
    polling = {}
    for schedule in connection.schedules:
        running = active_run(get_session(), connection.id, schedule.entity)
        polling[schedule.entity] = {
            **schedule_json(schedule),
            "active_run": sync_run_json(running) if running else None,
        }
    return jsonify(
        id=connection.public_id,
        needs_attention=connection.needs_attention,
        store=store,
        webhooks=webhooks,
        last_delivery_at=isoformat(max((w.last_delivery_at for w in connection.webhooks if w.last_delivery_at), default=None)),
        polling=polling,
        jobs=_jobs(connection.public_id),
    )


def _jobs(connection_id: str) -> dict:
    """Queue lengths and this connection's failed jobs (RQ's failed registry)."""
    redis = get_redis()
    try:
        queued = {name: queue(name, redis).count for name in QUEUES}
        failed = []
        for name in (EVENTS_QUEUE, POLLS_QUEUE):
            registry = FailedJobRegistry(name, connection=redis, serializer=SERIALIZER)
            for job_id in registry.get_job_ids(0, FAILED_JOBS_SCANNED - 1):
                job = Job.fetch(job_id, connection=redis, serializer=SERIALIZER)
                if _belongs_to(job, connection_id) and len(failed) < FAILED_JOBS_SHOWN:
                    result = job.latest_result()
                    failed.append(
                        {
                            "job_id": job.id,
                            "queue": name,
                            "description": job.description,
                            "reason": _last_line(result.exc_string if result else None),
                            "failed_at": isoformat(_aware(job.ended_at)),
                        }
                    )
    except RedisError:
        return {"available": False}
    return {"available": True, "queued": queued, "failed": failed}


def _belongs_to(job: Job, connection_id: str) -> bool:
    # Event jobs take the connection id first; poll jobs name it in their description.
    return (job.args and job.args[0] == connection_id) or connection_id in (job.description or "")


def _aware(moment: datetime | None) -> datetime | None:
    # RQ keeps naive UTC datetimes.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else None
