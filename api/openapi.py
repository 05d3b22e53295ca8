"""`GET /openapi.json`: the OpenAPI 3.1 document of the HTTP API."""

from flask import Blueprint, jsonify

from jobs.scheduling import MAX_FULL_EVERY_MINUTES, MAX_INTERVAL_MINUTES, MIN_FULL_EVERY_MINUTES, MIN_INTERVAL_MINUTES

bp = Blueprint("openapi", __name__)

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_MONEY = {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_BOOL = {"type": "boolean"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict, required: tuple[str, ...] = (), additional: bool = True) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        schema["required"] = list(required)
    return schema


_ERRORS = {
    "401": _json(_ref("Error"), "missing or wrong bearer token"),
    "404": _json(_ref("Error"), "no such connection or record"),
    "422": _json(_ref("ValidationErrors"), "invalid fields, each named"),
    "429": _json(_ref("Error"), "too many wrong admin tokens from this client address; see Retry-After"),
}
_CONNECTION_ID = {"name": "connection_id", "in": "path", "required": True, "schema": _STRING}
_EXTERNAL_ID = {"name": "external_id", "in": "path", "required": True, "schema": _STRING}
_ENTITY = {"type": "string", "enum": ["orders", "products"]}
_PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
    {"name": "status", "in": "query", "schema": _STRING},
    {"name": "modified_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]

_CONNECTION_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "external_system": {"type": "string", "enum": ["woocommerce"]},
    "api_url": {"type": "string", "format": "uri", "maxLength": 2048},
    "access_token": {"type": "string", "description": "WooCommerce consumer key (ck_…)"},
    "secret": {"type": "string", "writeOnly": True, "description": "WooCommerce consumer secret (cs_…)"},
    "order_start": {"type": "string", "description": "ISO date or date-time; orders created before it are not imported"},
    "warehouse": _NULLABLE_STRING,
    "company_group": _NULLABLE_STRING,
}

SCHEMAS = {
    "ScheduleInput": _object(
        {
            "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL_MINUTES, "maximum": MAX_INTERVAL_MINUTES},
            "active": _BOOL,
            "full_every_minutes": {"type": "integer", "minimum": MIN_FULL_EVERY_MINUTES, "maximum": MAX_FULL_EVERY_MINUTES},
        },
        ("interval_minutes", "active"),
        additional=False,
    ),
    "Schedule": _object(
        {
            "entity": _ENTITY,
            **{name: {"type": "integer"} for name in ("interval_minutes", "full_every_minutes")},
            "active": _BOOL,
            **{name: _TIME for name in ("cursor", "trash_cursor", "last_poll_at", "last_full_at", "next_poll_at")},
        }
    ),
    "SyncInput": _object({"entity": _ENTITY, "full": _BOOL}, ("entity",), additional=False),
    "SyncRun": _object(
        {
            "run_id": _STRING,
            "entity": _ENTITY,
            "full": _BOOL,
            "trigger": {"type": "string", "enum": ["manual", "schedule"]},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "pages_done": {"type": "integer"},
            "pages_total": {"type": ["integer", "null"]},
            "records": {"type": "integer"},
            "deleted": {"type": "integer"},
            "error": _NULLABLE_STRING,
            **{name: _TIME for name in ("created_at", "started_at", "finished_at")},
        },
        ("run_id", "status", "pages_done", "records"),
    ),
    "Error": _object(
        {"error": _object({"code": _STRING, "message": _STRING, "connection_id": _STRING}, ("code", "message"))}, ("error",)
    ),
    "ValidationErrors": _object(
        {"errors": {"type": "object", "additionalProperties": {"type": "array", "items": _STRING}}}, ("errors",)
    ),
    "ConnectionInput": _object(
        _CONNECTION_FIELDS, ("name", "external_system", "api_url", "access_token", "secret"), additional=False
    ),
    "ConnectionPatch": _object(_CONNECTION_FIELDS, additional=False),
    "Webhook": _object(
        {
            "topic": _STRING,
            "store_webhook_id": {"type": ["integer", "null"]},
            "status": _STRING,
            "delivery_url": _STRING,
            "error": _NULLABLE_STRING,
            "last_delivery_at": _TIME,
        }
    ),
    "Connection": _object(
        {
            "id": _STRING,
            "name": _STRING,
            "external_system": _STRING,
            "api_url": _STRING,
            "access_token": {"type": "string", "description": "masked: ck_…1a2b"},
            "order_start": _TIME,
            "warehouse": _NULLABLE_STRING,
            "company_group": _NULLABLE_STRING,
            "auth_mode": {"type": "string", "enum": ["oauth1", "basic", "query_string"]},
            "store": {"type": "object"},
            "created_at": _TIME,
            "updated_at": _TIME,
            "webhooks": {"type": "array", "items": _ref("Webhook")},
            "schedules": {"type": "array", "items": _ref("Schedule")},
        },
        ("id", "name", "external_system", "api_url", "access_token"),
    ),
    "Verification": _object(
        {"ok": _BOOL, "store": {"type": "object"}, "error": _object({"code": _STRING, "message": _STRING})}, ("ok",)
    ),
    "LineItem": _object(
        {
            "external_id": _STRING,
            "product_external_id": _NULLABLE_STRING,
            "variation_external_id": _NULLABLE_STRING,
            "sku": _NULLABLE_STRING,
            "name": _NULLABLE_STRING,
            "quantity": {"type": "integer"},
            "price": _MONEY,
            "total": _MONEY,
        }
    ),
    "Order": _object(
        {
            "external_id": _STRING,
            "number": _NULLABLE_STRING,
            "status": _STRING,
            "currency": _NULLABLE_STRING,
            **{name: _MONEY for name in ("total", "subtotal", "total_tax", "shipping_total", "discount_total")},
            "payment_method": _NULLABLE_STRING,
            "customer": {"type": "object"},
            "billing": {"type": "object"},
            "shipping": {"type": "object"},
            **{name: _TIME for name in ("created_at", "modified_at", "paid_at", "completed_at")},
            "warehouse": _NULLABLE_STRING,
            "deleted": _BOOL,
            "line_items": {"type": "array", "items": _ref("LineItem")},
        },
        ("external_id", "status", "modified_at", "deleted"),
    ),
    "Product": _object(
        {
            "external_id": _STRING,
            "parent_external_id": _NULLABLE_STRING,
            "type": _NULLABLE_STRING,
            "name": _NULLABLE_STRING,
            "sku": _NULLABLE_STRING,
            "status": _NULLABLE_STRING,
            **{name: _MONEY for name in ("price", "regular_price", "sale_price")},
            "stock_quantity": {"type": ["integer", "null"]},
            "stock_status": _NULLABLE_STRING,
            "manage_stock": {"type": ["boolean", "null"]},
            "created_at": _TIME,
            "modified_at": _TIME,
            "deleted": _BOOL,
        },
        ("external_id", "modified_at", "deleted"),
    ),
}


def _page_of(item: str) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ("items", "page", "per_page", "total"),
    )


def _admin(operation: dict) -> dict:
    return {**operation, "security": [{"bearer": []}], "responses": {**_ERRORS, **operation["responses"]}}


PATHS = {
    "/api/connections/verify": {
        "post": _admin(
            {
                "summary": "Check a store's URL and keys without saving",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConnectionInput")}}},
                "responses": {"200": _json(_ref("Verification"), "ok true with the store, or ok false with the cause")},
            }
        )
    },
    "/api/connections": {
        "get": _admin(
            {
                "summary": "List connections",
                "responses": {
                    "200": _json(_object({"items": {"type": "array", "items": _ref("Connection")}}), "connections")
                },
            }
        ),
        "post": _admin(
            {
                "summary": "Verify, save and register webhooks",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConnectionInput")}}},
                "responses": {
                    "201": _json(_ref("Connection"), "created"),
                    "400": _json(_ref("Error"), "verification failed; nothing saved"),
                    "409": _json(_ref("Error"), "duplicate_store: connection_id names the connection that has this store and key"),
                },
            }
        ),
    },
    "/api/connections/{connection_id}": {
        "parameters": [_CONNECTION_ID],
        "get": _admin({"summary": "One connection, its webhooks and schedules", "responses": {"200": _json(_ref("Connection"), "the connection")}}),
        "patch": _admin(
            {
                "summary": "Change fields; new credentials are verified and webhooks re-registered",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConnectionPatch")}}},
                "responses": {
                    "200": _json(_ref("Connection"), "changed"),
                    "400": _json(_ref("Error"), "verification of the new values failed; nothing changed"),
                    "409": _json(_ref("Error"), "duplicate_store: another connection has this store and key; nothing changed"),
                },
            }
        ),
        "delete": _admin(
            {
                "summary": "Remove the store's webhooks (best effort) and the connection",
                "responses": {"204": {"description": "deleted; Storelink-Webhooks-Not-Removed lists store webhook ids that remain"}},
            }
        ),
    },
    "/api/connections/{connection_id}/orders": {
        "parameters": [_CONNECTION_ID],
        "get": _admin({"summary": "Stored orders, newest modified first", "parameters": _PAGING, "responses": {"200": _json(_page_of("Order"), "a page")}}),
    },
    "/api/connections/{connection_id}/orders/{external_id}": {
        "parameters": [_CONNECTION_ID, _EXTERNAL_ID],
        "get": _admin({"summary": "One order with its line items", "responses": {"200": _json(_ref("Order"), "the order")}}),
    },
    "/api/connections/{connection_id}/products": {
        "parameters": [_CONNECTION_ID],
        "get": _admin({"summary": "Stored products and variations", "parameters": _PAGING, "responses": {"200": _json(_page_of("Product"), "a page")}}),
    },
    "/api/connections/{connection_id}/products/{external_id}": {
        "parameters": [_CONNECTION_ID, _EXTERNAL_ID],
        "get": _admin({"summary": "One product or variation", "responses": {"200": _json(_ref("Product"), "the product")}}),
    },
    "/api/connections/{connection_id}/schedules": {
        "parameters": [_CONNECTION_ID],
        "get": _admin(
            {
                "summary": "The polling schedule per entity",
                "responses": {"200": _json(_object({"items": {"type": "array", "items": _ref("Schedule")}}), "schedules")},
            }
        ),
    },
    "/api/connections/{connection_id}/schedules/{entity}": {
        "parameters": [_CONNECTION_ID, {"name": "entity", "in": "path", "required": True, "schema": _ENTITY}],
        "put": _admin(
            {
                "summary": "Set an entity's polling interval, whether it polls, and how often a poll is a full pass",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ScheduleInput")}}},
                "responses": {"200": _json(_ref("Schedule"), "the schedule")},
            }
        ),
    },
    "/api/connections/{connection_id}/sync": {
        "parameters": [_CONNECTION_ID],
        "post": _admin(
            {
                "summary": "Poll an entity now (answers the active run if one is queued or running)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SyncInput")}}},
                "responses": {
                    "202": _json(_ref("SyncRun"), "queued"),
                    "503": _json(_ref("Error"), "queue unavailable"),
                },
            }
        ),
    },
    "/api/connections/{connection_id}/sync-runs": {
        "parameters": [_CONNECTION_ID],
        "get": _admin(
            {
                "summary": "Recent sync runs, newest first",
                "responses": {"200": _json(_object({"items": {"type": "array", "items": _ref("SyncRun")}}), "runs")},
            }
        ),
    },
    "/api/connections/{connection_id}/sync-runs/{run_id}": {
        "parameters": [_CONNECTION_ID, {"name": "run_id", "in": "path", "required": True, "schema": _STRING}],
        "get": _admin({"summary": "One sync run and its progress", "responses": {"200": _json(_ref("SyncRun"), "the run")}}),
    },
    "/api/connections/{connection_id}/status": {
        "parameters": [_CONNECTION_ID],
        "get": _admin(
            {
                "summary": "Webhook health as the store reports it, polling per entity, queued and failed jobs",
                "responses": {"200": _json({"type": "object"}, "the status")},
            }
        ),
    },
    "/webhooks/woocommerce/{connection_id}": {
        "parameters": [_CONNECTION_ID],
        "post": {
            "summary": "WooCommerce webhook receiver; the X-WC-Webhook-Signature HMAC is the authentication",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {"description": "the ping sent when a webhook is created"},
                "202": {"description": "queued (or a duplicate of a queued delivery)"},
                "400": _json(_ref("Error"), "signed, but not JSON, an unsupported topic, or the wrong shape"),
                "401": _json(_ref("Error"), "missing or wrong signature"),
                "404": _json(_ref("Error"), "unknown connection"),
                "410": _json(_ref("Error"), "deleted connection"),
                "413": _json(_ref("Error"), "body over the limit"),
                "503": _json(_ref("Error"), "queue unavailable; not accepted"),
            },
        },
    },
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (text format); the admin token or METRICS_TOKEN",
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "401": _json(_ref("Error"), "missing or wrong token"),
                "429": _json(_ref("Error"), "too many wrong tokens from this address"),
            },
        }
    },
    "/healthz": {"get": {"summary": "Process alive", "responses": {"200": {"description": "alive"}}}},
    "/readyz": {
        "get": {
            "summary": "Database and Redis reachable",
            "responses": {"200": {"description": "ready"}, "503": {"description": "a dependency is down"}},
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Storelink", "version": "0.1.0", "description": "Connects WooCommerce stores to a back office."},
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"}},
    },
}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document."""
    return jsonify(DOCUMENT)
