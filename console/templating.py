"""What every console template can use (time formatting, the CSRF token) and the error pages."""

import logging
from datetime import UTC, datetime

from flask import jsonify, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from connections.service import ConnectionNotFound
from console.blueprint import bp
from console.security import CSRF_FIELD, csrf_token, signed_in
from db.types import utcnow
from stores.registry import CONNECTORS, DEFAULT_SYSTEM, connector_for, is_known

log = logging.getLogger(__name__)

# Relative times are rounded to the largest of these units that fits.
TIME_UNITS = ((86400, "day"), (3600, "h"), (60, "min"))


@bp.app_context_processor
def _globals() -> dict:
    return {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,
        "signed_in": signed_in,
        "connectors": list(CONNECTORS.values()),
        "connector_of": connector_of,
    }


def connector_of(system: str | None):
    """The connector of `system` (the default one for a form that names none), or None for a system without one."""
    system = system or DEFAULT_SYSTEM
    return connector_for(system) if is_known(system) else None


@bp.app_template_filter("system_label")
def system_label(system: str | None) -> str:
    """A system's name as people write it."""
    connector = connector_of(system)
    return connector.label if connector is not None and system else (system or "")


def relative(moment: datetime, now: datetime) -> str:
    """`5 min ago`, `in 2 h`, `just now`: how far `moment` is from `now`."""
    seconds = (moment - now).total_seconds()
    distance = abs(seconds)
    if distance < 60:
        return "just now"
    for size, unit in TIME_UNITS:
        if distance >= size:
            count = int(distance // size)
            label = f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
            return f"in {label}" if seconds > 0 else f"{label} ago"
    return "just now"  # unreachable: the last unit is a minute


@bp.app_template_filter("when")
def when(moment: datetime | None, never: str = "never") -> Markup:
    """A `<time>` element: relative text, the exact UTC time as its title and machine value."""
    if moment is None:
        return Markup('<span class="muted">{}</span>').format(never)
    moment = moment.astimezone(UTC)
    exact = moment.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat().replace("+00:00", "Z"), exact, relative(moment, utcnow())
    )


@bp.app_template_filter("auth_mode")
def auth_mode(mode: str | None) -> str:
    """How Storelink authenticates to the store, in words."""
    for connector in CONNECTORS.values():
        if mode in connector.auth_modes:
            return connector.auth_modes[mode]
    return mode or "—"


@bp.app_template_filter("sentence")
def sentence(text: str | None) -> str:
    """`text` as a sentence: service messages start in lower case and end without a full stop."""
    text = (text or "").strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


@bp.app_template_filter("every")
def every(minutes: int) -> str:
    """A polling interval in words: `every 30 minutes`, `every 2 hours`, `every day`."""
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return "every minute" if minutes == 1 else f"every {minutes} minutes"


@bp.app_template_filter("percent")
def percent(run) -> int | None:
    """How far a sync run has got, 0–100; None while its size is unknown."""
    if run.status == "succeeded":
        return 100
    if not run.pages_total:
        return None
    # A run still going never shows 100%: later walks (trash, reconciliation) add pages.
    return min(99, int(100 * run.pages_done / run.pages_total))


@bp.app_template_filter("run_summary")
def run_summary(run) -> str:
    """A run in words; console.js writes the same words as the run goes on."""
    if run.status == "queued":
        return "Queued: waiting for a worker"
    if run.status == "failed":
        return f"Failed: {run.error or 'no reason recorded'}"
    if run.status == "succeeded":
        deleted = f", {run.deleted} marked deleted" if run.deleted else ""
        # Records are counted only when stored anew or changed: 0 means all were up to date.
        stored = f"{run.records} records stored" if run.records else "nothing new"
        return f"Done: {run.pages_done} pages, {stored}{deleted}"
    if run.error:  # a running run's error is what it waits for (jobs.poll_waits)
        return f"Running, {run.error}"
    if not run.pages_total:
        return "Running: asking the store"
    return f"Running: page {run.pages_done} of {run.pages_total}, {run.records} records stored"


def _error_page(status: int, title: str, message: str):
    if request.path.endswith(".json"):
        # The progress bar's endpoint answers in the admin API's error shape.
        return jsonify(error={"code": "not_found" if status == 404 else "error", "message": message}), status
    return render_template("console/error.html", title=title, message=message), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return _error_page(error.code or 500, error.name, error.description or error.name)


@bp.errorhandler(ConnectionNotFound)
def _unknown_connection(_error: ConnectionNotFound):
    return _error_page(404, "Connection not found", "There is no such connection; it may have been deleted.")


@bp.errorhandler(Exception)
def _crash(error: Exception):
    # The traceback goes to the log; the page says only that something went wrong.
    log.exception("console error", exc_info=error)
    return _error_page(
        500, "Something went wrong", "The error has been logged. Try again, or check the service's logs."
    )
