"""The schemas and shared parts of the OpenAPI document (`api.openapi` serves it)."""

from jobs.scheduling import MAX_FULL_EVERY_MINUTES, MAX_INTERVAL_MINUTES, MIN_FULL_EVERY_MINUTES, MIN_INTERVAL_MINUTES

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}
MONEY = {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
BOOL = {"type": "boolean"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def object_schema(properties: dict, required: tuple[str, ...] = (), additional: bool = True) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        schema["required"] = list(required)
    return schema


ERRORS = {
    "401": json_body(ref("Error"), "missing or wrong bearer token"),
    "404": json_body(ref("Error"), "no such connection or record"),
    "422": json_body(ref("ValidationErrors"), "invalid fields, each named"),
    "429": json_body(ref("Error"), "too many wrong admin tokens from this client address; see Retry-After"),
}
CONNECTION_ID = {"name": "connection_id", "in": "path", "required": True, "schema": STRING}
EXTERNAL_ID = {"name": "external_id", "in": "path", "required": True, "schema": STRING}
ENTITY = {"type": "string", "enum": ["orders", "products"]}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
    {"name": "status", "in": "query", "schema": STRING},
    {"name": "modified_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]

CONNECTION_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "external_system": {"type": "string", "enum": ["woocommerce"]},
    "api_url": {"type": "string", "format": "uri", "maxLength": 2048},
    "access_token": {"type": "string", "description": "WooCommerce consumer key (ck_…)"},
    "secret": {"type": "string", "writeOnly": True, "description": "WooCommerce consumer secret (cs_…)"},
    "order_start": {"type": "string", "description": "ISO date or date-time; orders created before it are not imported"},
    "warehouse": NULLABLE_STRING,
    "company_group": NULLABLE_STRING,
    "notify_url": {"type": ["string", "null"], "description": "this connection's endpoint for change notifications; null removes it"},
    "notify_secret": {"type": ["string", "null"], "writeOnly": True, "description": "whsec_<base64 of 24-64 bytes>; with notify_url"},
}

SCHEMAS = {
    "ScheduleInput": object_schema(
        {
            "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL_MINUTES, "maximum": MAX_INTERVAL_MINUTES},
            "active": BOOL,
            "full_every_minutes": {"type": "integer", "minimum": MIN_FULL_EVERY_MINUTES, "maximum": MAX_FULL_EVERY_MINUTES},
        },
        ("interval_minutes", "active"),
        additional=False,
    ),
    "Schedule": object_schema(
        {
            "entity": ENTITY,
            **{name: {"type": "integer"} for name in ("interval_minutes", "full_every_minutes")},
            "active": BOOL,
            **{name: TIME for name in ("cursor", "trash_cursor", "last_poll_at", "last_full_at", "next_poll_at")},
        }
    ),
    "SyncInput": object_schema({"entity": ENTITY, "full": BOOL}, ("entity",), additional=False),
    "SyncRun": object_schema(
        {
            "run_id": STRING,
            "entity": ENTITY,
            "full": BOOL,
            "trigger": {"type": "string", "enum": ["manual", "schedule"]},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "pages_done": {"type": "integer"},
            "pages_total": {"type": ["integer", "null"]},
            "records": {"type": "integer"},
            "deleted": {"type": "integer"},
            "error": NULLABLE_STRING,
            **{name: TIME for name in ("created_at", "started_at", "finished_at")},
        },
        ("run_id", "status", "pages_done", "records"),
    ),
    "Error": object_schema(
        {"error": object_schema({"code": STRING, "message": STRING, "connection_id": STRING}, ("code", "message"))}, ("error",)
    ),
    "ValidationErrors": object_schema(
        {"errors": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}}}, ("errors",)
    ),
    "ConnectionInput": object_schema(
        CONNECTION_FIELDS, ("name", "external_system", "api_url", "access_token", "secret"), additional=False
    ),
    "ConnectionPatch": object_schema(CONNECTION_FIELDS, additional=False),
    "Webhook": object_schema(
        {
            "topic": STRING,
            "store_webhook_id": {"type": ["integer", "null"]},
            "status": STRING,
            "delivery_url": STRING,
            "error": NULLABLE_STRING,
            "last_delivery_at": TIME,
        }
    ),
    "Connection": object_schema(
        {
            "id": STRING,
            "name": STRING,
            "external_system": STRING,
            "api_url": STRING,
            "access_token": {"type": "string", "description": "masked: ck_…1a2b"},
            "order_start": TIME,
            "warehouse": NULLABLE_STRING,
            "company_group": NULLABLE_STRING,
            "auth_mode": {"type": "string", "enum": ["oauth1", "basic", "query_string"]},
            "store": {"type": "object"},
            "notify_url": NULLABLE_STRING,
            "notify_secret_set": BOOL,
            "created_at": TIME,
            "updated_at": TIME,
            "webhooks_state": {
                "type": "string",
                "enum": ["registering", "active", "failed", "inactive"],
                "description": "registering until the registration job has asked the store",
            },
            "webhooks": {"type": "array", "items": ref("Webhook")},
            "schedules": {"type": "array", "items": ref("Schedule")},
        },
        ("id", "name", "external_system", "api_url", "access_token"),
    ),
    "Verification": object_schema(
        {"ok": BOOL, "store": {"type": "object"}, "error": object_schema({"code": STRING, "message": STRING})}, ("ok",)
    ),
    "LineItem": object_schema(
        {
            "external_id": STRING,
            "product_external_id": NULLABLE_STRING,
            "variation_external_id": NULLABLE_STRING,
            "sku": NULLABLE_STRING,
            "name": NULLABLE_STRING,
            "quantity": {"type": "integer"},
            "price": MONEY,
            "total": MONEY,
        }
    ),
    "Order": object_schema(
        {
            "external_id": STRING,
            "number": NULLABLE_STRING,
            "status": STRING,
            "currency": NULLABLE_STRING,
            **{name: MONEY for name in ("total", "subtotal", "total_tax", "shipping_total", "discount_total")},
            "payment_method": NULLABLE_STRING,
            "customer": {"type": "object"},
            "billing": {"type": "object"},
            "shipping": {"type": "object"},
            **{name: TIME for name in ("created_at", "modified_at", "paid_at", "completed_at")},
            "warehouse": NULLABLE_STRING,
            "deleted": BOOL,
            "line_items": {"type": "array", "items": ref("LineItem")},
        },
        ("external_id", "status", "modified_at", "deleted"),
    ),
    "Product": object_schema(
        {
            "external_id": STRING,
            "parent_external_id": NULLABLE_STRING,
            "type": NULLABLE_STRING,
            "name": NULLABLE_STRING,
            "sku": NULLABLE_STRING,
            "status": NULLABLE_STRING,
            **{name: MONEY for name in ("price", "regular_price", "sale_price")},
            "stock_quantity": {"type": ["integer", "null"]},
            "stock_status": NULLABLE_STRING,
            "manage_stock": {"type": ["boolean", "null"]},
            "created_at": TIME,
            "modified_at": TIME,
            "deleted": BOOL,
        },
        ("external_id", "modified_at", "deleted"),
    ),
}
