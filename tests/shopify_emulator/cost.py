"""Shopify's query cost and its leaky bucket (`extensions.cost`, THROTTLED, MAX_COST_EXCEEDED).

Requested cost: an object field costs 1, a scalar or enum 0, a connection 2 plus `first` (or
`last`) times the cost of one node, a mutation field 10. Actual cost counts the nodes returned.
The bucket holds `maximum` points and refills at `restore_rate` points a second of the
emulator's clock; a query is refused (THROTTLED) when its requested cost is more than is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
    value_from_ast,
)
from graphql.language import FragmentSpreadNode

MAX_QUERY_COST = 1000
MUTATION_COST = 10


class Bucket:
    """A leaky bucket of query points on the emulator's clock."""

    def __init__(self, clock: Callable[[], float], maximum: float = 2000.0, restore_rate: float = 100.0):
        self.clock = clock
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum)
        self._at = clock()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self._available = min(self.maximum, self._available + max(0.0, now - self._at) * self.restore_rate)
        self._at = now

    @property
    def available(self) -> float:
        with self.lock:
            self._refill()
            return self._available

    def set_available(self, points: float) -> None:
        """Empty or fill the bucket (a knob for tests)."""
        with self.lock:
            self._refill()
            self._available = float(points)

    def take(self, points: float) -> bool:
        """Take `points` if there are that many; False (nothing taken) otherwise."""
        with self.lock:
            self._refill()
            if points > self._available:
                return False
            self._available -= points
            return True

    def give_back(self, points: float) -> None:
        """Refund the difference between requested and actual cost."""
        with self.lock:
            self._available = min(self.maximum, self._available + points)

    def status(self) -> dict[str, Any]:
        """throttleStatus as Shopify reports it."""
        with self.lock:
            self._refill()
            return {"maximumAvailable": self.maximum, "currentlyAvailable": int(self._available),
                    "restoreRate": self.restore_rate}


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection")


class CostCounter:
    """Walks a validated document with the schema: requested cost, and actual cost over the result."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None):
        self.schema = schema
        self.variables = variables or {}
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

    def _fields(self, selection_set, parent: GraphQLObjectType | None):
        """(field node, field definition) pairs, fragments expanded (type conditions taken as met)."""
        for selection in selection_set.selections if selection_set else []:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                field = parent.fields.get(selection.name.value) if parent and hasattr(parent, "fields") else None
                if field is not None:
                    yield selection, field
            else:
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    condition, sub = (fragment.type_condition, fragment.selection_set) if fragment else (None, None)
                else:
                    condition, sub = selection.type_condition, selection.selection_set
                target = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(sub, target if hasattr(target, "fields") else parent)

    def _argument(self, node: FieldNode, field, name: str) -> Any:
        for argument in node.arguments or []:
            if argument.name.value == name and name in field.args:
                return value_from_ast(argument.value, field.args[name].type, self.variables)
        return None

    def requested(self, operation: OperationDefinitionNode | None = None) -> int:
        """The requested cost of the operation (the only one, or the one named)."""
        operation = operation or self.operations[0]
        root = self.schema.mutation_type if operation.operation.value == "mutation" else self.schema.query_type
        if operation.operation.value == "mutation":
            return sum(MUTATION_COST for _ in self._fields(operation.selection_set, root))
        return self._selection_cost(operation.selection_set, root)

    def _selection_cost(self, selection_set, parent) -> int:
        total = 0
        for node, field in self._fields(selection_set, parent):
            named = get_named_type(field.type)
            if is_leaf_type(named):
                continue
            if _is_connection(named):
                size = self._argument(node, field, "first") or self._argument(node, field, "last") or 0
                total += 2 + size * self._node_cost(node, named)
            elif node.name.value == "nodes" and "ids" in field.args:
                total += len(self._argument(node, field, "ids") or []) * (1 + self._selection_cost(node.selection_set, named))
            else:
                total += 1 + self._selection_cost(node.selection_set, named)
        return total

    def _node_selections(self, node: FieldNode, connection: GraphQLObjectType):
        """(selection set, node type) of whichever of `nodes { }` / `edges { node { } }` is selected."""
        for sub, field in self._fields(node.selection_set, connection):
            if sub.name.value == "nodes":
                yield sub.selection_set, get_named_type(field.type)
            elif sub.name.value == "edges":
                for inner, inner_field in self._fields(sub.selection_set, get_named_type(field.type)):
                    if inner.name.value == "node":
                        yield inner.selection_set, get_named_type(inner_field.type)

    def _node_cost(self, node: FieldNode, connection: GraphQLObjectType) -> int:
        """The requested cost of one node of a connection."""
        costs = [1 + self._selection_cost(selection, type_) for selection, type_ in self._node_selections(node, connection)]
        return max(costs, default=1)

    def actual(self, data: Any, operation: OperationDefinitionNode | None = None) -> int:
        """The cost of what was returned."""
        operation = operation or self.operations[0]
        if operation.operation.value == "mutation":
            return self.requested(operation)
        return self._actual(operation.selection_set, self.schema.query_type, data)

    def _actual(self, selection_set, parent, data: Any) -> int:
        if not isinstance(data, dict):
            return 0
        total = 0
        for node, field in self._fields(selection_set, parent):
            value = data.get(node.alias.value if node.alias else node.name.value)
            named = get_named_type(field.type)
            if is_leaf_type(named) or value is None:
                continue
            if _is_connection(named):
                items = value.get("nodes") or [edge.get("node") for edge in value.get("edges") or []]
                selections = list(self._node_selections(node, named))
                total += 2 + sum(max([1 + self._actual(selection, type_, item) for selection, type_ in selections],
                                     default=1) for item in items if item is not None)
            elif isinstance(field.type, (GraphQLList, GraphQLNonNull)) and isinstance(value, list):
                total += sum(1 + self._actual(node.selection_set, named, item) for item in value if item is not None)
            else:
                total += 1 + self._actual(node.selection_set, named, value)
        return total
