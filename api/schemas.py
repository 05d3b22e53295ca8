"""Marshmallow schemas: what the admin API accepts (every invalid field named) and returns."""

import re
from datetime import UTC, date, datetime, time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.records import OrderOut, OrderSummaryOut, ProductOut
from api.representations import ConnectionOut, ScheduleOut, SyncRunOut, WebhookOut, isoformat
from connections.schedules import (
    MAX_FULL_EVERY_MINUTES,
    MAX_INTERVAL_MINUTES,
    MIN_FULL_EVERY_MINUTES,
    MIN_INTERVAL_MINUTES,
)
from db.models import ENTITIES
from stores.registry import DEFAULT_SYSTEM, PLANNED_SYSTEMS, connector_for, is_known, systems

NAME_MAX = 200
# The fields a connector checks (`credential_errors`).
CREDENTIAL_FIELDS = ("access_token", "secret")
URL_MAX = 2048
KEY_MAX = 200
# Read API paging.
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# C0 controls and DEL: never meant in a name, and PostgreSQL cannot store NUL at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Text(fields.String):
    """A string without control characters."""

    default_error_messages = {"control": "must not contain control characters"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(text):
            raise self.make_error("control")
        return text


class ExternalSystem(Text):
    """A system with a connector (`stores.registry`), with a precise refusal for systems not supported yet."""

    def _deserialize(self, value, attr, data, **kwargs):
        system = super()._deserialize(value, attr, data, **kwargs)
        if is_known(system):
            return system
        if system in PLANNED_SYSTEMS:
            raise ValidationError(f"{system} is not supported yet; supported: {', '.join(systems())}")
        raise ValidationError(f"must be one of: {', '.join(systems())}")


def _loaded_text(data: dict, original, name: str) -> str | None:
    """A field's loaded value, or the text sent when only its validators refused it (None when it was no text)."""
    if name in data:
        return data[name]
    value = original.get(name) if isinstance(original, dict) else None
    return value if isinstance(value, str) and not _CONTROL.search(value) else None


class OrderStart(fields.Field):
    """An ISO date (midnight UTC) or date-time (naive means UTC); answered as ISO UTC."""

    default_error_messages = {
        "invalid": "must be an ISO 8601 date (2026-11-27) or date-time (2026-11-27T10:00:00Z)",
        "range": "must fall between 0001-01-01 and 9999-12-31 once converted to UTC",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        try:
            return (parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed).astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-23:59 is in year 10000 in UTC
            raise self.make_error("range") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(value)


def start_of_today() -> datetime:
    """The default order start, in the API and the console alike: midnight UTC of the current day."""
    return datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


class CredentialsInput(Schema):
    """Where the store is and the keys to it; the system's connector says what its keys look like."""

    def __init__(self, *args, system: str | None = None, **kwargs):
        """`system`: the connection's, for a change that does not name it."""
        super().__init__(*args, **kwargs)
        self.system = system

    external_system = ExternalSystem(required=True)
    api_url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=URL_MAX),
        error_messages={"invalid": "must be an http:// or https:// URL of the store, e.g. https://shop.example.com"},
    )
    access_token = Text(required=True, validate=validate.Length(min=4, max=KEY_MAX))
    secret = Text(required=True, load_only=True, validate=validate.Length(min=4, max=KEY_MAX))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_credentials(self, data: dict, original, **kwargs) -> None:
        """The connector's checks of the keys, beside the fields' own (a key too short is told both)."""
        system = data.get("external_system") or self.system or DEFAULT_SYSTEM
        if not is_known(system):
            return
        values = {name: _loaded_text(data, original, name) for name in CREDENTIAL_FIELDS}
        errors = connector_for(system).credential_errors(values["access_token"], values["secret"])
        if errors:
            raise ValidationError(errors)


class ConnectionInput(CredentialsInput):
    """The store owner's form."""

    name = Text(required=True, validate=[validate.Length(min=1, max=NAME_MAX), _not_blank])
    order_start = OrderStart(load_default=start_of_today)
    warehouse = Text(load_default=None, allow_none=True, validate=validate.Length(max=NAME_MAX))
    company_group = Text(load_default=None, allow_none=True, validate=validate.Length(max=NAME_MAX))
    # The back office's endpoint for this connection's change notifications; null removes it.
    notify_url = Text(allow_none=True, validate=validate.Length(max=URL_MAX))
    notify_secret = Text(allow_none=True, load_only=True, validate=validate.Length(max=KEY_MAX))


class ConnectionPatch(ConnectionInput):
    """A partial change (loaded with partial=True); `order_start` may not be cleared."""

    order_start = OrderStart()


class VerifyInput(ConnectionInput):
    """The same form; only the credentials are required, since nothing is saved."""

    external_system = ExternalSystem(load_default=DEFAULT_SYSTEM)
    name = Text(validate=validate.Length(max=NAME_MAX))


class PageQuery(Schema):
    """`page`, `per_page` and the record filters of the read API."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    status = Text(validate=validate.Length(min=1, max=64))
    modified_since = OrderStart()


# The output side: api.representations' schemas dump every answer (and document it).
_CONNECTION = ConnectionOut()
_WEBHOOK = WebhookOut()
_ORDER = OrderOut()
_ORDER_SUMMARY = OrderSummaryOut()
_PRODUCT = ProductOut()
_SCHEDULE = ScheduleOut()
_SYNC_RUN = SyncRunOut()


def connection_json(connection) -> dict:
    """A connection as the API shows it: the access token masked, the secret never."""
    return _CONNECTION.dump(connection)


def webhook_json(webhook) -> dict:
    """One registered webhook."""
    return _WEBHOOK.dump(webhook)


def order_json(order, *, with_line_items: bool) -> dict:
    """An order in the read API's shape."""
    return (_ORDER if with_line_items else _ORDER_SUMMARY).dump(order)


def product_json(product) -> dict:
    """A product or variation in the read API's shape."""
    return _PRODUCT.dump(product)


class ScheduleInput(Schema):
    """`PUT .../schedules/<entity>`; without `full_every_minutes` the schedule keeps its own."""

    interval_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=MIN_INTERVAL_MINUTES, max=MAX_INTERVAL_MINUTES)
    )
    active = fields.Boolean(required=True, truthy={True}, falsy={False})
    full_every_minutes = fields.Integer(
        strict=True, validate=validate.Range(min=MIN_FULL_EVERY_MINUTES, max=MAX_FULL_EVERY_MINUTES)
    )


class SyncInput(Schema):
    """`POST .../sync`."""

    entity = fields.String(required=True, validate=validate.OneOf(ENTITIES))
    full = fields.Boolean(load_default=False, truthy={True}, falsy={False})


def schedule_json(schedule) -> dict:
    """A schedule and where polling stands."""
    return _SCHEDULE.dump(schedule)


def sync_run_json(run) -> dict:
    """A sync run and its progress."""
    return _SYNC_RUN.dump(run)
