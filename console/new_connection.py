"""Create a connection: fill the form, verify against the store, then save what was verified.

Save is refused until the same credentials verified in this session; the button is also
disabled in the page, but the rule is kept here, on the server.
"""

import hashlib
import hmac
import json

from flask import current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from api.resources import connection_service, get_settings
from api.schemas import ConnectionInput, VerifyInput, start_of_today
from connections.identity import DuplicateStore
from connections.reachability import delivery_warnings
from connections.service import FieldErrors
from console.advice import advice_for
from console.blueprint import bp
from stores.errors import StoreError
from stores.registry import CONNECTORS, DEFAULT_SYSTEM, connector_for, is_known

FORM_FIELDS = (
    "name",
    "external_system",
    "api_url",
    "access_token",
    "secret",
    "order_start",
    "warehouse",
    "company_group",
)
# What a verification proves: a change to any of these needs a new one.
VERIFIED_FIELDS = ("external_system", "api_url", "access_token", "secret")
VERIFIED = "verified_connection"
MISSING = "Missing data for required field."


def read_form() -> dict[str, str]:
    """The submitted fields as text, trimmed (pasted keys often carry a stray space)."""
    return {name: request.form.get(name, "").strip() for name in FORM_FIELDS}


def schema_input(values: dict[str, str]) -> dict:
    """The form as the admin API's schemas take it: blank fields left out, as a JSON client would."""
    return {name: value for name, value in values.items() if value}


def fingerprint(fields: dict) -> str:
    """A keyed hash of the verified fields: kept in the session instead of them (the secret among them)."""
    canonical = json.dumps([fields.get(name) for name in VERIFIED_FIELDS]).encode("utf-8")
    return hmac.new(current_app.secret_key.encode("utf-8"), canonical, hashlib.sha256).hexdigest()


def _verified_store(fields: dict | None) -> dict | None:
    """What the store said when these very fields verified in this session, else None."""
    verified = session.get(VERIFIED)
    if not fields or not isinstance(verified, dict):
        return None
    if not hmac.compare_digest(verified.get("fingerprint", ""), fingerprint(fields)):
        return None
    return verified.get("store") or {}


def _loaded(values: dict[str, str]) -> dict | None:
    """The fields a verification looks at, validated, or None while they are invalid."""
    try:
        return VerifyInput().load(schema_input(values))
    except ValidationError:
        return None


def _messages(errors: dict) -> dict[str, list[str]]:
    # marshmallow's wording for a blank required field reads oddly under a form field.
    return {
        field: ["This field is required." if message == MISSING else message for message in messages]
        for field, messages in errors.items()
    }


def _form(
    values: dict[str, str],
    *,
    status: int = 200,
    errors: dict | None = None,
    failure: StoreError | None = None,
    notice: str | None = None,
):
    store = _verified_store(_loaded(values)) if failure is None else None
    page = render_template(
        "console/new_connection.html",
        values=values,
        errors=_messages(errors or {}),
        failure=failure,
        advice=advice_for(failure.code, values.get("external_system") or DEFAULT_SYSTEM) if failure else None,
        verified=store,
        notice=notice,
        field_help={
            connector.system: {name: {"label": h.label, "hint": h.hint, "placeholder": h.placeholder} for name, h in connector.fields.items()}
            for connector in CONNECTORS.values()
        },
    )
    return page, status


@bp.get("/connections/new")
def new_connection():
    """The empty form: the default system (or `?external_system=`), orders from today."""
    session.pop(VERIFIED, None)
    values = dict.fromkeys(FORM_FIELDS, "")
    system = request.args.get("external_system")
    values.update(external_system=system if is_known(system) else DEFAULT_SYSTEM, order_start=start_of_today().date().isoformat())
    return _form(values)


@bp.post("/connections/new")
def submit_new_connection():
    """Verify the fields (button "Verify connection") or save them (button "Save")."""
    values = read_form()
    if request.form.get("action") == "save":
        return _save(values)
    return _verify(values)


def _verify(values: dict[str, str]):
    session.pop(VERIFIED, None)
    try:
        fields = VerifyInput().load(schema_input(values))
    except ValidationError as error:
        return _form(values, status=422, errors=error.messages)
    try:
        verification = connection_service().verify(
            fields["api_url"], fields["access_token"], fields["secret"], system=fields["external_system"],
            order_start=fields.get("order_start"),
        )
    except FieldErrors as error:
        return _form(values, status=422, errors=error.errors)
    except StoreError as error:
        return _form(values, failure=error)
    store = dict(verification.store)  # what the connector's store_summary names the store by
    session[VERIFIED] = {"fingerprint": fingerprint(fields), "store": {**store, "auth_mode": verification.auth_mode}}
    return _form(values)


def _save(values: dict[str, str]):
    try:
        fields = ConnectionInput().load(schema_input(values))
    except ValidationError as error:
        return _form(values, status=422, errors=error.messages)
    if _verified_store(fields) is None:
        notice = "Verify the connection first: Save needs a successful verification of these exact values."
        return _form(values, status=409, notice=notice)
    try:
        connection = connection_service().create(fields)
    except FieldErrors as error:
        return _form(values, status=422, errors=error.errors)
    except DuplicateStore as error:
        session.pop(VERIFIED, None)
        return _form(values, status=409, errors={"api_url": [error.message]})
    except StoreError as error:
        # The store changed its mind since the verification: verify again.
        session.pop(VERIFIED, None)
        return _form(values, failure=error)
    session.pop(VERIFIED, None)
    flash(
        f"Connection “{connection.name}” saved; its {len(connection.webhooks)} webhooks are being registered "
        "on the store: reload this page to follow them.",
        "success",
    )
    for warning in delivery_warnings(get_settings().public_url, connection.api_url, connector_for(connection.external_system)):
        flash(warning, "warning")
    return redirect(url_for("console.connection", connection_id=connection.public_id))
