"""The Admin GraphQL endpoint: parse, validate against the schema, price, throttle, execute, answer.

Answers as Shopify does: HTTP 200 with `errors` for syntax, validation and resolver errors
(validation messages in Shopify's wording for unknown fields and arguments), `extensions.cost`
on executed and throttled queries, THROTTLED when the bucket is short (HTTP status a knob,
200 by default), MAX_COST_EXCEEDED over 1000 points.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from .cost import MAX_QUERY_COST, CostCounter
from .graph import Context, query_root, resolve_field
from .mutations import mutation_root

if TYPE_CHECKING:
    from .emulator import ShopifyEmulator

SCHEMA_SDL = (Path(__file__).parent / "schema.graphql").read_text()
MISSING_QUERY = {"errors": {"query": "Required parameter missing or invalid"}}
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
# graphql-core's wording -> Shopify's, for the validation errors a connector is likely to meet.
TRANSLATIONS = [
    (re.compile(r"Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'\..*", re.S),
     lambda m: (f"Field '{m['field']}' doesn't exist on type '{m['type']}'",
                {"code": "undefinedField", "typeName": m["type"], "fieldName": m["field"]})),
    (re.compile(r"Unknown argument '(?P<arg>\w+)' on field '\w+\.(?P<field>\w+)'\..*", re.S),
     lambda m: (f"Field '{m['field']}' doesn't accept argument '{m['arg']}'",
                {"code": "argumentNotAccepted", "name": m["field"], "typeName": "Field", "argumentName": m["arg"]})),
    (re.compile(r"Field '(?P<field>\w+)' argument '(?P<arg>\w+)' of type .* is required, but it was not provided\."),
     lambda m: (f"Field '{m['field']}' is missing required arguments: {m['arg']}",
                {"code": "missingRequiredArguments", "className": "Field", "name": m["field"], "arguments": m["arg"]})),
]


def shopify_error(error: GraphQLError) -> dict[str, Any]:
    """A validation error as Shopify words it."""
    formatted = error.formatted
    for pattern, translate in TRANSLATIONS:
        match = pattern.fullmatch(error.message)
        if match:
            formatted["message"], formatted["extensions"] = translate(match)
            break
    return formatted


class GraphqlApi:
    """The schema and the request pipeline."""

    def __init__(self, emulator: ShopifyEmulator):
        self.emulator = emulator
        self.schema = build_schema(SCHEMA_SDL)

    def execute(self, context: Context, document, variables: dict[str, Any] | None = None,
                operation_name: str | None = None) -> ExecutionResult:
        """Run a validated document for an app (no cost taken)."""
        operation = _operation(document, operation_name)
        is_mutation = operation is not None and operation.operation.value == "mutation"
        root = mutation_root(context) if is_mutation else query_root(context)
        return execute(self.schema, document, root_value=root, context_value=context, variable_values=variables,
                       operation_name=operation_name, field_resolver=resolve_field)

    def handle(self, context: Context, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
        """One POST to graphql.json: (HTTP status, JSON body)."""
        if content_type == "application/graphql":
            request: Any = {"query": body.decode("utf-8", "replace")}
        else:
            try:
                request = json.loads(body or b"null")
            except ValueError:
                return 400, MISSING_QUERY
        if not isinstance(request, dict) or not isinstance(request.get("query"), str) or not request["query"].strip():
            return 400, MISSING_QUERY
        variables = request.get("variables") if isinstance(request.get("variables"), dict) else None
        operation_name = request.get("operationName") if isinstance(request.get("operationName"), str) else None
        try:
            document = parse(request["query"])
        except GraphQLError as error:
            return 200, {"errors": [error.formatted]}
        errors = validate(self.schema, document)
        if errors:
            return 200, {"errors": [shopify_error(error) for error in errors]}
        operation = _operation(document, operation_name)
        counter = CostCounter(self.schema, document, variables)
        try:
            requested = counter.requested(operation) if operation else 0
        except GraphQLError as error:  # a variable of the wrong type, met while pricing
            return 200, {"errors": [error.formatted]}
        bucket = self.emulator.bucket
        cost: dict[str, Any] = {"requestedQueryCost": requested, "actualQueryCost": None}
        if requested > self.emulator.max_query_cost:
            cost["throttleStatus"] = bucket.status()
            message = (f"Query cost is {requested}, which exceeds the single query max cost limit "
                       f"({self.emulator.max_query_cost}).")
            return 200, {"errors": [{"message": message, "extensions": {
                "code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": self.emulator.max_query_cost}}],
                "extensions": {"cost": cost}}
        if not bucket.take(requested):
            cost["throttleStatus"] = bucket.status()
            return self.emulator.throttled_status, {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}],
                "extensions": {"cost": cost}}
        with self.emulator.store.lock:  # a consistent view, as a database transaction gives
            result = self.execute(context, document, variables, operation_name)
        actual = counter.actual(result.data, operation) if operation and result.data else requested
        actual = min(actual, requested)
        bucket.give_back(requested - actual)
        cost["actualQueryCost"] = actual
        cost["throttleStatus"] = bucket.status()
        answer: dict[str, Any] = {}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        answer["data"] = result.data
        answer["extensions"] = {"cost": cost}
        return 200, answer


def _operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


__all__ = ["MAX_QUERY_COST", "GraphqlApi", "shopify_error"]
