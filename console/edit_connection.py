"""Change a connection: plain fields at once; new keys or a new URL only after the store accepts them.

ConnectionService.update verifies changed credentials before anything is saved, so a failed
verification here leaves the connection exactly as it was.
"""

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from api.resources import connection_service
from api.schemas import ConnectionPatch
from connections.identity import DuplicateStore
from connections.service import FieldErrors
from console.advice import advice_for
from console.blueprint import bp
from console.new_connection import MISSING
from stores.errors import StoreError

FIELDS = ("name", "api_url", "access_token", "secret", "order_start", "warehouse", "company_group")
# Blank means "keep what is stored": keys are never shown, so they cannot be prefilled.
KEEP_WHEN_BLANK = ("access_token", "secret", "order_start")
# Blank means "none".
CLEAR_WHEN_BLANK = ("warehouse", "company_group")


def _values(connection) -> dict[str, str]:
    return {
        "name": connection.name,
        "api_url": connection.api_url,
        "access_token": "",
        "secret": "",
        "order_start": connection.order_start.date().isoformat(),
        "warehouse": connection.warehouse or "",
        "company_group": connection.company_group or "",
    }


def _changes(connection, values: dict[str, str]) -> dict:
    changes: dict = {}
    for name, value in values.items():
        if name in KEEP_WHEN_BLANK and not value:
            continue
        changes[name] = None if name in CLEAR_WHEN_BLANK and not value else value
    # The form shows the day only; an untouched day must not move a start at 10:30 back to midnight.
    if changes.get("order_start") == _values(connection)["order_start"]:
        del changes["order_start"]
    return changes


def _page(
    connection,
    values: dict[str, str],
    *,
    status: int = 200,
    errors: dict | None = None,
    failure: StoreError | None = None,
):
    messages = {
        field: ["This field is required." if message == MISSING else message for message in field_messages]
        for field, field_messages in (errors or {}).items()
    }
    page = render_template(
        "console/edit_connection.html",
        connection=connection,
        values=values,
        errors=messages,
        failure=failure,
        advice=advice_for(failure.code, connection.external_system) if failure else None,
    )
    return page, status


@bp.get("/connections/<connection_id>/edit")
def edit_connection(connection_id: str):
    """The connection's fields, keys left blank."""
    connection = connection_service().get(connection_id)
    return _page(connection, _values(connection))


@bp.post("/connections/<connection_id>/edit")
def submit_edit_connection(connection_id: str):
    """Save the changes; changed keys or URL are verified against the store first."""
    service = connection_service()
    connection = service.get(connection_id)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    try:
        changes = ConnectionPatch(system=connection.external_system).load(_changes(connection, values), partial=True)
    except ValidationError as error:
        return _page(connection, values, status=422, errors=error.messages)
    keys_before = (connection.api_url, connection.access_token_masked, connection.secret_encrypted)
    try:
        service.update(connection, changes)
    except FieldErrors as error:
        return _page(connection, values, status=422, errors=error.errors)
    except DuplicateStore as error:
        service.session.rollback()
        return _page(connection, {**values, "access_token": "", "secret": ""}, status=409, errors={"api_url": [error.message]})
    except StoreError as error:
        service.session.rollback()
        return _page(connection, {**values, "access_token": "", "secret": ""}, failure=error)
    if (connection.api_url, connection.access_token_masked, connection.secret_encrypted) != keys_before:
        flash("Connection updated: the store accepted the new keys and its webhooks were registered again.", "success")
    else:
        flash("Connection updated.", "success")
    return redirect(url_for("console.connection", connection_id=connection.public_id))
