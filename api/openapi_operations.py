"""Every operation of the HTTP API as `/openapi.json` documents it: the schema it loads, the
schemas it answers with per status. Adding an operation is one `Operation(...)` here, naming
the schemas its view loads and dumps; `api.openapi` builds the document from this table.
"""

from dataclasses import dataclass, field

from marshmallow import Schema

from api import records
from api import representations as out
from api import status_representation as status_out
from api.changes import ChangesOut, ChangesQuery
from api.schemas import ConnectionInput, ConnectionPatch, PageQuery, ScheduleInput, SyncInput, VerifyInput
from connections.webhooks import RECEIVER_PATH

JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    """One status of an operation: what it means, unless it has no body its schema, and the
    headers it sets (name: what it says)."""

    description: str
    schema: type[Schema] | Schema | dict | None = None
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One method on one path. `admin` operations take the bearer token and may answer 401 and
    429; with a connection in the path also 404, with a body or query also 422 (added for them)."""

    method: str
    path: str
    summary: str
    answers: dict[int, Answer]
    body: type[Schema] | Schema | None = None
    query: type[Schema] | None = None
    admin: bool = True
    headers: tuple[dict, ...] = field(default_factory=tuple)


# Loaded with partial=True, so no field of it is required.
CONNECTION_PATCH = ConnectionPatch(partial=True)
CONNECTION = "/api/connections/{connection_id}"
QUEUE_DOWN = Answer("the queue (Redis) is unavailable; try again shortly", out.ErrorOut)
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "the same key and body within 24 h answer the first 201 again",
}

OPERATIONS = (
    Operation(
        "post", "/api/connections/verify", "Check a store's URL and keys without saving", body=VerifyInput,
        answers={200: Answer("ok true with the store, or ok false with the cause", out.VerificationOut)},
    ),
    Operation("get", "/api/connections", "List connections", answers={200: Answer("connections", out.ConnectionListOut)}),
    Operation(
        "post", "/api/connections", "Verify, save, and queue the registration of its webhooks",
        body=ConnectionInput, headers=(IDEMPOTENCY_KEY,),
        answers={
            201: Answer(
                "created; webhooks_state is registering",
                out.ConnectionCreatedOut,
                headers={
                    "Location": "the connection's URL",
                    "Idempotent-Replayed": "true when this replays the first answer to the same Idempotency-Key and body",
                },
            ),
            400: Answer("verification failed; nothing saved", out.ErrorOut),
            409: Answer(
                "duplicate_store: connection_id names the connection that has this store and key; or "
                "idempotency_key_in_progress: a request with this key is still running (see Retry-After)",
                out.ErrorOut,
            ),
            503: Answer("an Idempotency-Key was given while Redis is unreachable", out.ErrorOut),
        },
    ),
    Operation(
        "get", CONNECTION, "One connection, its webhooks and schedules",
        answers={
            200: Answer("the connection", out.ConnectionDetailOut),
            410: Answer("connection_deleted: its stored orders and products stay readable", out.ErrorOut),
        },
    ),
    Operation(
        "patch", CONNECTION, "Change fields; new credentials are verified and webhooks re-registered",
        body=CONNECTION_PATCH,
        answers={
            200: Answer("changed", out.ConnectionDetailOut),
            400: Answer("verification of the new values failed; nothing changed", out.ErrorOut),
            409: Answer("duplicate_store: another connection has this store and key; nothing changed", out.ErrorOut),
        },
    ),
    Operation(
        "delete", CONNECTION, "Remove the store's webhooks (best effort) and the connection",
        answers={
            204: Answer(
                "deleted",
                headers={"Storelink-Webhooks-Not-Removed": "the store's ids of webhooks it would not delete, if any"},
            )
        },
    ),
    Operation(
        "get", CONNECTION + "/orders", "Stored orders, newest modified first (also of a deleted connection)", query=PageQuery,
        answers={200: Answer("a page", records.OrderPageOut)},
    ),
    Operation(
        "get", CONNECTION + "/orders/{external_id}", "One order with its line items",
        answers={200: Answer("the order", records.OrderOut)},
    ),
    Operation(
        "get", CONNECTION + "/products", "Stored products and variations", query=PageQuery,
        answers={200: Answer("a page", records.ProductPageOut)},
    ),
    Operation(
        "get", CONNECTION + "/products/{external_id}", "One product or variation",
        answers={200: Answer("the product", records.ProductOut)},
    ),
    Operation(
        "get", "/api/changes",
        "The change feed: records written after a position, each once at its newest version, in position order",
        query=ChangesQuery,
        answers={200: Answer("the changes, and the position to ask after next", ChangesOut)},
    ),
    Operation(
        "get", CONNECTION + "/schedules", "The polling schedule per entity",
        answers={200: Answer("schedules", out.ScheduleListOut)},
    ),
    Operation(
        "put", CONNECTION + "/schedules/{entity}",
        "Set an entity's polling interval, whether it polls, and how often a poll is a full pass",
        body=ScheduleInput, answers={200: Answer("the schedule", out.ScheduleOut)},
    ),
    Operation(
        "post", CONNECTION + "/sync", "Poll an entity now (answers the active run if one is queued or running)",
        body=SyncInput, answers={202: Answer("queued", out.SyncStartOut), 503: QUEUE_DOWN},
    ),
    Operation(
        "get", CONNECTION + "/sync-runs", "Recent sync runs, newest first",
        answers={200: Answer("runs", out.SyncRunListOut)},
    ),
    Operation(
        "get", CONNECTION + "/sync-runs/{run_id}", "One sync run and its progress",
        answers={200: Answer("the run", out.SyncRunOut)},
    ),
    Operation(
        "get", CONNECTION + "/status",
        "Webhook health as the store reports it, polling per entity, queued and failed jobs",
        answers={200: Answer("the status", status_out.ConnectionStatusOut)},
    ),
    Operation(
        "post", RECEIVER_PATH, "Webhook receiver; the delivery's HMAC signature (the header the system's connector names) is the authentication",
        body={"type": "object"}, admin=False,
        answers={
            200: Answer("the ping sent when a webhook is created"),
            202: Answer("queued (or a duplicate of a queued delivery, or spooled)", out.DeliveryOut),
            400: Answer("signed, but not JSON, an unsupported topic, or the wrong shape", out.ErrorOut),
            401: Answer("missing or wrong signature", out.ErrorOut),
            404: Answer("unknown system or connection, or a connection of another system", out.ErrorOut),
            410: Answer("deleted connection", out.ErrorOut),
            413: Answer("body over the limit", out.ErrorOut),
            503: Answer("the database or Redis is unavailable; not accepted", out.ErrorOut),
        },
    ),
    Operation(
        "get", "/openapi.json", "This document", admin=False,
        answers={200: Answer("OpenAPI 3.1", {"type": "object"})},
    ),
    Operation(
        "get", "/metrics", "Prometheus metrics (text format); the admin token or METRICS_TOKEN",
        answers={200: Answer("metrics", {"type": "string"}, "text/plain")},
    ),
    Operation("get", "/healthz", "Process alive", admin=False, answers={200: Answer("alive", out.HealthOut)}),
    Operation(
        "get", "/readyz", "Database and Redis reachable", admin=False,
        answers={200: Answer("ready", out.ReadinessOut), 503: Answer("a dependency is down", out.ReadinessOut)},
    ),
)
