"""Marshmallow schemas: what the admin API accepts (every invalid field named) and returns."""

import re
from datetime import UTC, date, datetime, time

from marshmallow import Schema, ValidationError, fields, validate

from db.models import ENTITIES
from jobs.scheduling import MAX_FULL_EVERY_MINUTES, MAX_INTERVAL_MINUTES, MIN_FULL_EVERY_MINUTES, MIN_INTERVAL_MINUTES

SUPPORTED_SYSTEMS = ("woocommerce",)
# Systems on the roadmap get a clearer refusal than an unknown word.
PLANNED_SYSTEMS = ("shopify", "magento", "fortnox")
NAME_MAX = 200
URL_MAX = 2048
KEY_MAX = 200
# Read API paging.
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
_NO_SPACE = re.compile(r"^\S+$")
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
    """`woocommerce`, with a precise refusal for systems not supported yet."""

    def _deserialize(self, value, attr, data, **kwargs):
        system = super()._deserialize(value, attr, data, **kwargs)
        if system in SUPPORTED_SYSTEMS:
            return system
        if system in PLANNED_SYSTEMS:
            raise ValidationError(f"{system} is not supported yet; supported: {', '.join(SUPPORTED_SYSTEMS)}")
        raise ValidationError(f"must be one of: {', '.join(SUPPORTED_SYSTEMS)}")


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


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _key(prefix: str, what: str) -> validate.Validator:
    def check(value: str) -> None:
        if not value.startswith(prefix) or not _NO_SPACE.match(value):
            raise ValidationError(f"must be a WooCommerce {what} starting with {prefix!r}, without spaces")

    return check


class CredentialsInput(Schema):
    """Where the store is and the keys to it."""

    external_system = ExternalSystem(required=True)
    api_url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=URL_MAX),
        error_messages={"invalid": "must be an http:// or https:// URL of the store, e.g. https://shop.example.com"},
    )
    access_token = Text(
        required=True, validate=[validate.Length(min=4, max=KEY_MAX), _key("ck_", "consumer key")]
    )
    secret = Text(
        required=True, load_only=True, validate=[validate.Length(min=4, max=KEY_MAX), _key("cs_", "consumer secret")]
    )


class ConnectionInput(CredentialsInput):
    """The store owner's form."""

    name = Text(required=True, validate=[validate.Length(min=1, max=NAME_MAX), _not_blank])
    order_start = OrderStart(load_default=None)
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

    external_system = ExternalSystem(load_default="woocommerce")
    name = Text(validate=validate.Length(max=NAME_MAX))


class PageQuery(Schema):
    """`page`, `per_page` and the record filters of the read API."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    status = Text(validate=validate.Length(min=1, max=64))
    modified_since = OrderStart()


def connection_json(connection) -> dict:
    """A connection as the API shows it: the access token masked, the secret never."""
    return {
        "id": connection.public_id,
        "name": connection.name,
        "external_system": connection.external_system,
        "api_url": connection.api_url,
        "access_token": connection.access_token_masked,
        "order_start": isoformat(connection.order_start),
        "warehouse": connection.warehouse,
        "company_group": connection.company_group,
        "auth_mode": connection.auth_mode,
        "store": connection.store or {},
        "notify_url": connection.notify_url,
        "notify_secret_set": connection.notify_secret_encrypted is not None,
        "created_at": isoformat(connection.created_at),
        "updated_at": isoformat(connection.updated_at),
    }


def webhook_json(webhook) -> dict:
    """One registered webhook."""
    return {
        "topic": webhook.topic,
        "store_webhook_id": webhook.store_webhook_id,
        "status": webhook.status,
        "delivery_url": webhook.delivery_url,
        "error": webhook.error,
        "last_delivery_at": isoformat(webhook.last_delivery_at),
    }


def order_json(order, *, with_line_items: bool) -> dict:
    """An order in the read API's shape."""
    data = {
        "external_id": order.external_id,
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "total": order.total,
        "subtotal": order.subtotal,
        "total_tax": order.total_tax,
        "shipping_total": order.shipping_total,
        "discount_total": order.discount_total,
        "payment_method": order.payment_method,
        "customer": order.customer,
        "billing": order.billing,
        "shipping": order.shipping,
        "created_at": isoformat(order.created_at),
        "modified_at": isoformat(order.modified_at),
        "paid_at": isoformat(order.paid_at),
        "completed_at": isoformat(order.completed_at),
        "warehouse": order.warehouse,
        "deleted": order.deleted,
    }
    if with_line_items:
        data["line_items"] = [
            {
                "external_id": item.external_id,
                "product_external_id": item.product_external_id,
                "variation_external_id": item.variation_external_id,
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "price": item.price,
                "total": item.total,
            }
            for item in order.line_items
        ]
    return data


def product_json(product) -> dict:
    """A product or variation in the read API's shape."""
    return {
        "external_id": product.external_id,
        "parent_external_id": product.parent_external_id,
        "type": product.type,
        "name": product.name,
        "sku": product.sku,
        "status": product.status,
        "price": product.price,
        "regular_price": product.regular_price,
        "sale_price": product.sale_price,
        "stock_quantity": product.stock_quantity,
        "stock_status": product.stock_status,
        "manage_stock": product.manage_stock,
        "created_at": isoformat(product.created_at),
        "modified_at": isoformat(product.modified_at),
        "deleted": product.deleted,
    }


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
    return {
        "entity": schedule.entity,
        "interval_minutes": schedule.interval_minutes,
        "full_every_minutes": schedule.full_every_minutes,
        "active": schedule.active,
        "cursor": isoformat(schedule.cursor),
        "trash_cursor": isoformat(schedule.trash_cursor),
        "last_poll_at": isoformat(schedule.last_poll_at),
        "last_full_at": isoformat(schedule.last_full_at),
        "next_poll_at": isoformat(schedule.next_poll_at) if schedule.active else None,
    }


def sync_run_json(run) -> dict:
    """A sync run and its progress."""
    return {
        "run_id": run.public_id,
        "entity": run.entity,
        "full": run.full,
        "trigger": run.trigger,
        "status": run.status,
        "pages_done": run.pages_done,
        "pages_total": run.pages_total,
        "records": run.records,
        "deleted": run.deleted,
        "error": run.error,
        "created_at": isoformat(run.created_at),
        "started_at": isoformat(run.started_at),
        "finished_at": isoformat(run.finished_at),
    }
