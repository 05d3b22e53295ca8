"""Bulk operations: `bulkOperationRunQuery`, polling by `currentBulkOperation` / `node`, JSONL results.

The query runs over a snapshot taken when the operation is created, without page limits; nested
connections come out as their own lines linked by `__parentId`. The result file is served by
the emulator at `url` without authentication, as Shopify's signed storage URLs are. A knob
(`polls_to_complete`) keeps an operation RUNNING for that many reads; `fail_next` makes the next
one FAIL with an error code (Shopify's bulk jobs do fail with INTERNAL_SERVER_ERROR now and then).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse, validate

from .graph import Context
from .rest import gid, utc_time

MAX_RUNNING = 5  # per app and shop, from API 2026-01


@dataclass
class Operation:
    id: int
    app_id: int
    query: str
    created_at: int
    status: str = "CREATED"
    error_code: str | None = None
    completed_at: int | None = None
    lines: bytes | None = None
    object_count: int = 0
    root_object_count: int = 0
    token: str = ""
    polls_left: int = 0


def _flatten(node: dict[str, Any], parent_id: str | None, out: list[dict[str, Any]]) -> None:
    """A node as one line, then its nested connections' nodes as lines naming it in __parentId."""
    line, children = {}, []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            children.extend(value.get("nodes") or [edge["node"] for edge in value.get("edges", [])])
        else:
            line[key] = value
    if parent_id is not None:
        line["__parentId"] = parent_id
    out.append(line)
    for child in children:
        _flatten(child, node.get("id"), out)


class BulkOperations:
    """The shop's bulk operations, per app."""

    def __init__(self, emulator: Any):
        self.emulator = emulator
        self.operations: dict[int, Operation] = {}
        self.polls_to_complete = 0
        self.failures: list[str] = []  # error codes for the next operations
        self.lock = threading.Lock()
        self._next_id = 4_321_987_001

    def fail_next(self, error_code: str = "INTERNAL_SERVER_ERROR") -> None:
        self.failures.append(error_code)

    def run_query(self, context: Context, query: str) -> dict[str, Any]:
        """bulkOperationRunQuery's payload."""
        def user_error(message: str, code: str = "INVALID") -> dict[str, Any]:
            return {"bulkOperation": None, "userErrors": [{"code": code, "field": ["query"], "message": message}]}

        try:
            document = parse(query)
        except GraphQLError as error:
            return user_error(f"Invalid bulk query: {error.message}")
        errors = validate(self.emulator.graphql.schema, document)
        if errors:
            return user_error(f"Invalid bulk query: {errors[0].message}")
        operation = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)] if operation else []
        if operation is None or operation.operation.value != "query" or not any(
                r.name.value in ("orders", "products") for r in roots):
            return user_error("Bulk queries must contain at least one connection.")
        with self.lock:
            running = [o for o in self.operations.values()
                       if o.app_id == context.app.id and o.status in ("CREATED", "RUNNING")]
            if len(running) >= MAX_RUNNING:
                return user_error("A bulk query operation for this app and shop is already in progress: "
                                  f"{gid('BulkOperation', running[0].id)}.", "OPERATION_IN_PROGRESS")
            record = Operation(self._next_id, context.app.id, query, self.emulator.store.now(),
                               token=secrets.token_urlsafe(16), polls_left=self.polls_to_complete)
            self._next_id += 1
            self.operations[record.id] = record
            failure = self.failures.pop(0) if self.failures else None
        created = self.node(record)  # as created: CREATED, no url
        result = self.emulator.graphql.execute(Context(self.emulator, context.app, unlimited=True), document)
        if failure or result.errors:
            codes = [(e.extensions or {}).get("code") for e in result.errors or []]
            record.error_code = failure or ("ACCESS_DENIED" if "ACCESS_DENIED" in codes else "INTERNAL_SERVER_ERROR")
            record.status = "FAILED"
        else:
            lines: list[dict[str, Any]] = []
            for root in roots:
                connection = (result.data or {}).get(root.alias.value if root.alias else root.name.value) or {}
                top = connection.get("nodes") or [edge["node"] for edge in connection.get("edges", [])]
                record.root_object_count += len(top)
                for node in top:
                    _flatten(node, None, lines)
            record.lines = b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines)
            record.object_count = len(lines)
            record.status = "COMPLETED" if record.polls_left <= 0 else "RUNNING"
        if record.status != "RUNNING":
            self._finish(record)
        return {"bulkOperation": created, "userErrors": []}

    def _finish(self, record: Operation) -> None:
        record.completed_at = self.emulator.store.now()
        payload = {"admin_graphql_api_id": gid("BulkOperation", record.id),
                   "completed_at": utc_time(record.completed_at), "created_at": utc_time(record.created_at),
                   "error_code": record.error_code.lower() if record.error_code else None,
                   "status": record.status.lower(), "type": "query"}
        self.emulator.webhooks.event("bulk_operations/finish", payload, self.emulator.apps.apps, record.app_id)

    def _poll(self, record: Operation) -> None:
        """Reading a RUNNING operation moves it on; it completes after `polls_to_complete` reads."""
        if record.status == "RUNNING":
            record.polls_left -= 1
            if record.polls_left <= 0:
                record.status = "COMPLETED"
                self._finish(record)

    def node(self, record: Operation) -> dict[str, Any]:
        done = record.status == "COMPLETED"
        return {
            "__typename": "BulkOperation", "id": gid("BulkOperation", record.id), "status": record.status,
            "errorCode": record.error_code, "type": "QUERY", "query": record.query,
            "createdAt": utc_time(record.created_at), "completedAt": utc_time(record.completed_at),
            "objectCount": str(record.object_count if done else 0),
            "rootObjectCount": str(record.root_object_count if done else 0),
            "fileSize": str(len(record.lines)) if done and record.lines else None,
            "url": f"{self.emulator.base_url}/bulk-results/{record.token}.jsonl" if done and record.lines else None,
            "partialDataUrl": None,
        }

    def get(self, context: Context, operation_id: int) -> dict[str, Any] | None:
        record = self.operations.get(operation_id)
        if record is None or record.app_id != context.app.id:
            return None
        self._poll(record)
        return self.node(record)

    def current(self, context: Context, type_: str) -> dict[str, Any] | None:
        """The app's most recent operation of the type (only QUERY is emulated)."""
        mine = [o for o in self.operations.values() if o.app_id == context.app.id]
        if type_ != "QUERY" or not mine:
            return None
        record = max(mine, key=lambda o: o.id)
        self._poll(record)
        return self.node(record)

    def cancel(self, context: Context, operation_id: int) -> dict[str, Any]:
        record = self.operations.get(operation_id)
        if record is None or record.app_id != context.app.id:
            return {"bulkOperation": None, "userErrors": [{"code": None, "field": ["id"],
                                                          "message": "Bulk operation does not exist"}]}
        if record.status in ("CREATED", "RUNNING"):
            record.status = "CANCELED"
            record.completed_at = self.emulator.store.now()
        return {"bulkOperation": self.node(record), "userErrors": []}

    def file(self, token: str) -> bytes | None:
        """The JSONL of a completed operation, by its URL token."""
        for record in self.operations.values():
            if record.token == token and record.status == "COMPLETED":
                return record.lines
        return None
