"""What `GET /api/connections/<id>/status` answers: the schema that dumps it and documents it."""

from marshmallow import Schema, fields

from api.representations import ErrorBody, ScheduleOut, SyncRunOut, UTCDateTime, WithExtras, store_id


class StoreReachOut(Schema):
    """Whether the store could be asked for its webhooks, and if not, why."""

    reachable = fields.Boolean(required=True)
    error = fields.Nested(ErrorBody, required=True, allow_none=True)


class WebhookHealthOut(Schema):
    """A webhook as recorded and as the store reports it (null where the store could not be asked)."""

    topic = fields.String(required=True)
    store_webhook_id = store_id()
    store_status = fields.String(required=True, allow_none=True)
    missing_on_store = fields.Boolean(required=True)
    needs_repair = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "true for any status but active, or missing"}
    )
    last_delivery_at = UTCDateTime(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)


class EntityPollingOut(ScheduleOut, WithExtras):
    """An entity's schedule and its queued or running poll; dumps `(schedule, {"active_run": run or None})`."""

    active_run = fields.Nested(SyncRunOut, required=True, allow_none=True)


class FailedJobOut(Schema):
    """A job of this connection in RQ's failed registry."""

    job_id = fields.String(required=True)
    queue = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    failed_at = UTCDateTime(required=True, allow_none=True)


class JobsOut(Schema):
    """Queue lengths, buffered deliveries and failed jobs; only `available: false` while Redis is away."""

    available = fields.Boolean(required=True)
    queued = fields.Dict(keys=fields.String(), values=fields.Integer())
    buffered_events = fields.Integer()
    failed = fields.Nested(FailedJobOut, many=True)


class UndeliveredChangesOut(Schema):
    """Polls that kept storing changes no delivery brought: webhooks that cannot reach Storelink."""

    polls = fields.Integer(required=True)
    records = fields.Integer(required=True)
    since = UTCDateTime(required=True, allow_none=True)
    message = fields.String(required=True)


class NotificationEndpointOut(Schema):
    """An endpoint the back office is notified at, and whether it acknowledges (`jobs.notify`)."""

    endpoint = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "scheme and host only"})
    acknowledged_position = fields.Integer(required=True, allow_none=True)
    last_success_at = fields.String(required=True, allow_none=True)
    failing_since = fields.String(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    given_up = fields.Boolean(required=True)


class Notifications(fields.Field):
    """The endpoints' states, or `{"available": false}` while Redis is away."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dict):
            return {"available": bool(value.get("available"))}
        return NotificationEndpointOut(many=True).dump(value)


class ConnectionStatusOut(Schema):
    """Webhook health as the store reports it, polling per entity, queued and failed jobs."""

    id = fields.String(required=True)
    needs_attention = fields.String(
        required=True, allow_none=True, metadata={"description": "why polling is paused (the store refused the keys)"}
    )
    store = fields.Nested(StoreReachOut, required=True)
    webhooks = fields.Nested(WebhookHealthOut, many=True, required=True)
    webhooks_ok = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "null when the store could not be asked"}
    )
    last_delivery_at = UTCDateTime(required=True, allow_none=True)
    undelivered_changes = fields.Nested(
        UndeliveredChangesOut,
        required=True,
        allow_none=True,
        metadata={"description": "null, or why webhooks seem not to arrive (check PUBLIC_URL)"},
    )
    polling = fields.Dict(keys=fields.String(), values=fields.Nested(EntityPollingOut), required=True)
    jobs = fields.Nested(JobsOut, required=True)
    notifications = Notifications(
        required=True,
        metadata={
            "oneOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/NotificationEndpoint"}},
                {"type": "object", "properties": {"available": {"const": False}}, "required": ["available"]},
            ],
            "description": "the installation's endpoint and the connection's own; {available: false} while Redis is away",
        },
    )
