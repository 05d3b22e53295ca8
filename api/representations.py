"""What the admin API answers: one marshmallow schema per record shape, which both dumps the
responses and documents them in `/openapi.json` (so the two cannot disagree).

A field is nullable exactly where the stored row (db/models.py) or the mapper
(each connector's mapper) allows None; `required` marks the keys every answer has.
"""

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from db.models import ACTIVE_RUN_STATES, ENTITIES, RUN_FAILED, RUN_SUCCEEDED

# Money as the store writes it: a decimal string at the store's number of decimals.
MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
WEBHOOKS_STATES = ("registering", "active", "failed", "inactive")
AUTH_MODES = ("oauth1", "basic", "query_string")
TRIGGERS = ("manual", "schedule")


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(fields.DateTime):
    """A time answered as ISO 8601 UTC with a `Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


class WhileActive(UTCDateTime):
    """A time that is null while its record is not `active` (a paused schedule has no next poll)."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        if not self.get_value(obj, "active", accessor=accessor):
            return None
        return super().serialize(attr, obj, accessor, **kwargs)


class StoreId(fields.Field):
    """A store's id of one of its objects (a webhook): decimal ids answered as the
    numbers they are, another system's (Shopify's `gid://...`) as their text."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.isascii() and value.isdigit() and value == str(int(value)):
            return int(value)
        return value


def store_id(**kwargs) -> StoreId:
    """A store's id or null, in every answer."""
    return StoreId(
        required=True,
        allow_none=True,
        metadata={"type": ["integer", "string", "null"], "description": "the store's id: a number where the store's ids are decimal numbers, else its text"},
        **kwargs,
    )


def text(**kwargs) -> fields.String:
    """A string every answer has."""
    return fields.String(required=True, **kwargs)


def nullable_text(**kwargs) -> fields.String:
    """A string or null, in every answer."""
    return fields.String(required=True, allow_none=True, **kwargs)


def money() -> fields.String:
    """An amount (a decimal string) or null."""
    return fields.String(required=True, allow_none=True, metadata={"pattern": MONEY_PATTERN})


def timestamp(*, nullable: bool = True) -> UTCDateTime:
    """A time in every answer, null where `nullable`."""
    return UTCDateTime(required=True, allow_none=nullable)


class WithExtras(Schema):
    """Dumps `(record, {name: value})`: the named values from the dict, every other field from the record."""

    def get_attribute(self, obj, attr, default):
        record, extras = obj
        if attr in extras:
            return extras[attr]
        return super().get_attribute(record, attr, default)


class ErrorBody(Schema):
    """`{"code", "message"}`, and the id a caller can act on where there is one."""

    code = text()
    message = text()
    connection_id = fields.String(metadata={"description": "duplicate_store: the connection that has this store"})


class ErrorOut(Schema):
    """Every error but invalid input: `{"error": {"code", "message"}}`."""

    error = fields.Nested(ErrorBody, required=True)


class ValidationErrorsOut(Schema):
    """422: each invalid field (or `_schema` for the body as a whole) with its messages."""

    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class WebhookOut(Schema):
    """One webhook registered (or being registered) on the store."""

    topic = text()
    store_webhook_id = store_id()
    status = text()
    delivery_url = text()
    error = nullable_text()
    last_delivery_at = timestamp()


class ScheduleOut(Schema):
    """A schedule and where polling stands; `next_poll_at` is null while paused."""

    entity = text(validate=validate.OneOf(ENTITIES))
    interval_minutes = fields.Integer(required=True)
    full_every_minutes = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    cursor = timestamp()
    trash_cursor = timestamp()
    last_poll_at = timestamp()
    last_full_at = timestamp()
    next_poll_at = WhileActive(required=True, allow_none=True)


class StoreDictionary(fields.Dict):
    """What verification learnt about the store (versions, `price_decimals`...); `{}` before it."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value or {}, attr, obj, **kwargs)


class IsSet(fields.Field):
    """Whether a value is stored, never the value (a secret)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value is not None


class ConnectionOut(Schema):
    """A connection: the access token masked, the secret never."""

    id = text(attribute="public_id")
    name = text()
    external_system = text()
    api_url = text()
    access_token = text(attribute="access_token_masked", metadata={"description": "masked: ck_…1a2b"})
    order_start = timestamp(nullable=False)
    warehouse = nullable_text()
    company_group = nullable_text()
    auth_mode = text(validate=validate.OneOf(AUTH_MODES))
    store = StoreDictionary(required=True)
    notify_url = nullable_text(metadata={"description": "this connection's endpoint for change notifications"})
    notify_secret_set = IsSet(
        attribute="notify_secret_encrypted",
        required=True,
        metadata={"type": "boolean", "description": "whether a notification secret is stored (it is never shown)"},
    )
    created_at = timestamp(nullable=False)
    updated_at = timestamp(nullable=False)


class ConnectionDetailOut(ConnectionOut, WithExtras):
    """A connection with its webhooks and schedules; dumps `(connection, {"webhooks_state": ...})`."""

    webhooks_state = text(
        validate=validate.OneOf(WEBHOOKS_STATES),
        metadata={"description": "registering until the registration job has asked the store"},
    )
    webhooks = fields.Nested(WebhookOut, many=True, required=True)
    schedules = fields.Nested(ScheduleOut, many=True, required=True)


class ConnectionCreatedOut(ConnectionDetailOut):
    """The 201 of a creation: the connection, and why the store may not be able to deliver webhooks."""

    warnings = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "why the store cannot deliver webhooks to PUBLIC_URL (empty when it may)"},
    )


class ConnectionListOut(Schema):
    """`GET /api/connections`."""

    items = fields.Nested(ConnectionOut, many=True, required=True)


class VerificationOut(Schema):
    """`ok` with the store's facts, or not `ok` with the cause."""

    ok = fields.Boolean(required=True)
    store = fields.Dict()
    error = fields.Nested(ErrorBody)


class SyncRunOut(Schema):
    """A sync run and its progress; `error` says why it failed, or what it waits for."""

    run_id = text(attribute="public_id")
    entity = text(validate=validate.OneOf(ENTITIES))
    full = fields.Boolean(required=True)
    trigger = text(validate=validate.OneOf(TRIGGERS))
    status = text(validate=validate.OneOf((*ACTIVE_RUN_STATES, RUN_SUCCEEDED, RUN_FAILED)))
    pages_done = fields.Integer(required=True)
    pages_total = fields.Integer(required=True, allow_none=True)
    records = fields.Integer(required=True)
    deleted = fields.Integer(required=True)
    error = nullable_text()
    created_at = timestamp(nullable=False)
    started_at = timestamp()
    finished_at = timestamp()


class SyncStartOut(SyncRunOut, WithExtras):
    """`POST .../sync`: the run, and whether this request created it; dumps `(run, {"created": bool})`."""

    created = fields.Boolean(required=True)


class ScheduleListOut(Schema):
    """`GET .../schedules`."""

    items = fields.Nested(ScheduleOut, many=True, required=True)


class SyncRunListOut(Schema):
    """`GET .../sync-runs`."""

    items = fields.Nested(SyncRunOut, many=True, required=True)


class DeliveryOut(Schema):
    """The receiver's 202 (`webhooks.wsgi` writes it before Flask is reached; the tests hold it to this)."""

    status = text(validate=validate.OneOf(("queued", "duplicate", "spooled")))


class HealthOut(Schema):
    """`GET /healthz`."""

    status = text(validate=validate.OneOf(("ok",)))


class ReadinessOut(Schema):
    """`GET /readyz`: `ok`, or `unavailable` naming the dependency that is down."""

    status = text(validate=validate.OneOf(("ok", "unavailable")))
    checks = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("database", "redis"))),
        values=fields.String(validate=validate.OneOf(("ok", "unavailable"))),
        required=True,
    )
