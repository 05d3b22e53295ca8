"""Synchronization from the console: schedules, "Sync now" and its progress, retrying failed jobs."""

import re

from flask import abort, flash, jsonify, redirect, request, url_for
from marshmallow import ValidationError
from redis.exceptions import RedisError

from api.resources import connection_service, get_redis, get_session
from api.schemas import ScheduleInput, SyncInput, sync_run_json
from console.blueprint import bp
from console.connections import render_connection
from console.templating import every
from db.models import ENTITIES
from jobs.failures import retry_failed_job
from jobs.scheduling import change_schedule, find_run, start_sync

QUEUE_DOWN = "The job queue is unavailable; try again shortly."
# Digits only, and few enough that int() never balks.
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
NUMBER_FIELDS = ("interval_minutes", "full_every_minutes")


def _back(connection_id: str, anchor: str):
    return redirect(url_for("console.connection", connection_id=connection_id, _anchor=anchor))


def _whole_number(text: str) -> int | str:
    # The API's schema is strict about integers; the form sends text. Anything else is left
    # for the schema to refuse with its own message.
    return int(text) if WHOLE_NUMBER.fullmatch(text.strip()) else text


@bp.post("/connections/<connection_id>/schedules/<entity>")
def edit_schedule(connection_id: str, entity: str):
    """Set an entity's polling interval, whether it polls and its full passes, validated as the API validates them."""
    connection = connection_service().get(connection_id)
    schedule = next((item for item in connection.schedules if item.entity == entity), None)
    if entity not in ENTITIES or schedule is None:
        abort(404, f"This connection has no schedule {entity!r}; entities: {', '.join(ENTITIES)}.")
    form = request.form
    submitted = {"interval_minutes": form.get("interval_minutes", ""), "active": "active" in form}
    if "full_every_minutes" in form:  # a page rendered before the field existed leaves it as it was
        submitted["full_every_minutes"] = form["full_every_minutes"]
    numbers = {name: _whole_number(submitted[name]) for name in NUMBER_FIELDS if name in submitted}
    try:
        values = ScheduleInput().load({**submitted, **numbers})
    except ValidationError as error:
        return render_connection(
            connection_id, status=422, schedule_errors={entity: error.messages}, schedule_values={entity: submitted}
        )
    change_schedule(
        schedule,
        interval_minutes=values["interval_minutes"],
        active=values["active"],
        full_every_minutes=values.get("full_every_minutes"),
    )
    get_session().commit()
    state = every(values["interval_minutes"]) if values["active"] else "paused"
    # Shown in the schedule's card, where the page lands, rather than at the top, out of sight.
    flash(f"Polling of {entity} is now {state}.", f"success@schedule-{entity}")
    return _back(connection_id, f"schedule-{entity}")


@bp.post("/connections/<connection_id>/sync")
def sync_now(connection_id: str):
    """Poll an entity now; the page then shows the run's progress."""
    connection = connection_service().get(connection_id)
    try:
        values = SyncInput().load({"entity": request.form.get("entity", ""), "full": "full" in request.form})
    except ValidationError as error:
        flash(f"Nothing to sync: {'; '.join(error.messages.get('entity', []))}", "error")
        return _back(connection_id, "sync")
    card = f"schedule-{values['entity']}"  # the entity's card, where its progress shows
    try:
        _, created = start_sync(
            get_session(), get_redis(), connection, values["entity"], full=values["full"], trigger="manual"
        )
    except RedisError:
        flash(QUEUE_DOWN, f"error@{card}")
        return _back(connection_id, card)
    if created:
        flash(f"Sync of {values['entity']} started.", f"success@{card}")
    else:
        flash(f"A sync of {values['entity']} is already under way; showing it.", f"info@{card}")
    return _back(connection_id, card)


@bp.get("/connections/<connection_id>/sync-runs/<run_id>.json")
def sync_run(connection_id: str, run_id: str):
    """One run's progress for the page's progress bar: the admin API's shape, behind the session."""
    connection = connection_service().get(connection_id)
    run = find_run(get_session(), connection.id, run_id)
    if run is None:
        return jsonify(error={"code": "not_found", "message": "no sync run with that id in this connection"}), 404
    return jsonify(sync_run_json(run))


@bp.post("/connections/<connection_id>/failed-jobs/<job_id>/retry")
def retry_job(connection_id: str, job_id: str):
    """Put a failed job back in its queue."""
    connection = connection_service().get(connection_id)
    try:
        retried = retry_failed_job(get_redis(), connection.public_id, job_id)
    except RedisError:
        flash(QUEUE_DOWN, "error@failed-jobs")
        return _back(connection_id, "failed-jobs")
    if retried:
        flash("The job is back in its queue; a worker will run it again.", "success@failed-jobs")
    else:
        flash("That job is no longer failed (already retried, or expired).", "info@failed-jobs")
    return _back(connection_id, "failed-jobs")
