"""`GET /openapi.json`: the OpenAPI 3.1 document of the HTTP API."""

from flask import Blueprint, jsonify

from api.openapi_schemas import (
    CONNECTION_ID,
    ENTITY,
    ERRORS,
    EXTERNAL_ID,
    PAGING,
    SCHEMAS,
    STRING,
    json_body,
    object_schema,
    ref,
)

bp = Blueprint("openapi", __name__)


def _page_of(item: str) -> dict:
    return object_schema(
        {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ("items", "page", "per_page", "total"),
    )


_CHANGES = object_schema(
    {
        "changes": {
            "type": "array",
            "items": object_schema(
                {
                    "position": {"type": "integer"},
                    "entity": ENTITY,
                    "connection_id": STRING,
                    "record": {"oneOf": [ref("Order"), ref("Product")], "description": "as the read API shows it"},
                },
                ("position", "entity", "connection_id", "record"),
            ),
        },
        "next_after": {"type": "integer", "description": "the last position returned, or `after` when none"},
    },
    ("changes", "next_after"),
)


def _admin(operation: dict) -> dict:
    return {**operation, "security": [{"bearer": []}], "responses": {**ERRORS, **operation["responses"]}}


PATHS = {
    "/api/connections/verify": {
        "post": _admin(
            {
                "summary": "Check a store's URL and keys without saving",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ConnectionInput")}}},
                "responses": {"200": json_body(ref("Verification"), "ok true with the store, or ok false with the cause")},
            }
        )
    },
    "/api/connections": {
        "get": _admin(
            {
                "summary": "List connections",
                "responses": {
                    "200": json_body(object_schema({"items": {"type": "array", "items": ref("Connection")}}), "connections")
                },
            }
        ),
        "post": _admin(
            {
                "summary": "Verify, save, and queue the registration of its webhooks",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "the same key and body within 24 h answer the first 201 again",
                    }
                ],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ConnectionInput")}}},
                "responses": {
                    "201": json_body(ref("Connection"), "created; webhooks_state is registering"),
                    "400": json_body(ref("Error"), "verification failed; nothing saved"),
                    "409": json_body(
                        ref("Error"),
                        "duplicate_store: connection_id names the connection that has this store and key; or "
                        "idempotency_key_in_progress: a request with this key is still running (see Retry-After)",
                    ),
                },
            }
        ),
    },
    "/api/connections/{connection_id}": {
        "parameters": [CONNECTION_ID],
        "get": _admin({"summary": "One connection, its webhooks and schedules", "responses": {"200": json_body(ref("Connection"), "the connection")}}),
        "patch": _admin(
            {
                "summary": "Change fields; new credentials are verified and webhooks re-registered",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ConnectionPatch")}}},
                "responses": {
                    "200": json_body(ref("Connection"), "changed"),
                    "400": json_body(ref("Error"), "verification of the new values failed; nothing changed"),
                    "409": json_body(ref("Error"), "duplicate_store: another connection has this store and key; nothing changed"),
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
        "parameters": [CONNECTION_ID],
        "get": _admin({"summary": "Stored orders, newest modified first", "parameters": PAGING, "responses": {"200": json_body(_page_of("Order"), "a page")}}),
    },
    "/api/connections/{connection_id}/orders/{external_id}": {
        "parameters": [CONNECTION_ID, EXTERNAL_ID],
        "get": _admin({"summary": "One order with its line items", "responses": {"200": json_body(ref("Order"), "the order")}}),
    },
    "/api/connections/{connection_id}/products": {
        "parameters": [CONNECTION_ID],
        "get": _admin({"summary": "Stored products and variations", "parameters": PAGING, "responses": {"200": json_body(_page_of("Product"), "a page")}}),
    },
    "/api/connections/{connection_id}/products/{external_id}": {
        "parameters": [CONNECTION_ID, EXTERNAL_ID],
        "get": _admin({"summary": "One product or variation", "responses": {"200": json_body(ref("Product"), "the product")}}),
    },
    "/api/changes": {
        "get": _admin(
            {
                "summary": "The change feed: records written after a position, each once at its newest version, in position order",
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                    {"name": "connection", "in": "query", "schema": STRING, "description": "a connection's id"},
                    {"name": "entity", "in": "query", "schema": ENTITY},
                ],
                "responses": {"200": json_body(_CHANGES, "the changes, and the position to ask after next")},
            }
        ),
    },
    "/api/connections/{connection_id}/schedules": {
        "parameters": [CONNECTION_ID],
        "get": _admin(
            {
                "summary": "The polling schedule per entity",
                "responses": {"200": json_body(object_schema({"items": {"type": "array", "items": ref("Schedule")}}), "schedules")},
            }
        ),
    },
    "/api/connections/{connection_id}/schedules/{entity}": {
        "parameters": [CONNECTION_ID, {"name": "entity", "in": "path", "required": True, "schema": ENTITY}],
        "put": _admin(
            {
                "summary": "Set an entity's polling interval, whether it polls, and how often a poll is a full pass",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ScheduleInput")}}},
                "responses": {"200": json_body(ref("Schedule"), "the schedule")},
            }
        ),
    },
    "/api/connections/{connection_id}/sync": {
        "parameters": [CONNECTION_ID],
        "post": _admin(
            {
                "summary": "Poll an entity now (answers the active run if one is queued or running)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("SyncInput")}}},
                "responses": {
                    "202": json_body(ref("SyncRun"), "queued"),
                    "503": json_body(ref("Error"), "queue unavailable"),
                },
            }
        ),
    },
    "/api/connections/{connection_id}/sync-runs": {
        "parameters": [CONNECTION_ID],
        "get": _admin(
            {
                "summary": "Recent sync runs, newest first",
                "responses": {"200": json_body(object_schema({"items": {"type": "array", "items": ref("SyncRun")}}), "runs")},
            }
        ),
    },
    "/api/connections/{connection_id}/sync-runs/{run_id}": {
        "parameters": [CONNECTION_ID, {"name": "run_id", "in": "path", "required": True, "schema": STRING}],
        "get": _admin({"summary": "One sync run and its progress", "responses": {"200": json_body(ref("SyncRun"), "the run")}}),
    },
    "/api/connections/{connection_id}/status": {
        "parameters": [CONNECTION_ID],
        "get": _admin(
            {
                "summary": "Webhook health as the store reports it, polling per entity, queued and failed jobs",
                "responses": {"200": json_body({"type": "object"}, "the status")},
            }
        ),
    },
    "/webhooks/woocommerce/{connection_id}": {
        "parameters": [CONNECTION_ID],
        "post": {
            "summary": "WooCommerce webhook receiver; the X-WC-Webhook-Signature HMAC is the authentication",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {"description": "the ping sent when a webhook is created"},
                "202": {"description": "queued (or a duplicate of a queued delivery)"},
                "400": json_body(ref("Error"), "signed, but not JSON, an unsupported topic, or the wrong shape"),
                "401": json_body(ref("Error"), "missing or wrong signature"),
                "404": json_body(ref("Error"), "unknown connection"),
                "410": json_body(ref("Error"), "deleted connection"),
                "413": json_body(ref("Error"), "body over the limit"),
                "503": json_body(ref("Error"), "queue unavailable; not accepted"),
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
                "401": json_body(ref("Error"), "missing or wrong token"),
                "429": json_body(ref("Error"), "too many wrong tokens from this address"),
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
