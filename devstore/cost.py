"""Shopify's calculated query cost, reproduced from the recordings.

Rules (each checked against a recorded ``requestedQueryCost``):

* scalars and enums cost 0; an object costs 1, except ``MoneyBag``/``MoneyV2`` which cost 0
  (orderCancel-parity.json reads four money bags, a customer and transactions for 3);
* a plain list of objects costs 1 plus its children, not multiplied;
* a connection costs ``2 + k(n) x (cost of one node)`` where ``n`` is ``first``/``last`` and
  ``k(n) = max(1, floor(2·ln n))``: k(1)=1, k(5)=3, k(10)=4, k(20)=5, k(50)=7, k(250)=11. This fits every
  recording (e.g. ``fulfillmentOrders(first: 10)`` of 14-point nodes = 58 in fulfillment-order-lifecycle.json,
  ``lineItems(first: 50)`` of 2-point nodes = 16 in order-edit-*.json, products(first: 250) = 442 in
  bulk-operation-root-count-and-search-filters.json). Shopify's documentation says "first x child
  cost"; the live numbers grow logarithmically instead, and the devstore follows the live numbers;
* ``ordersCount`` costs 10 (order-catalog-count-read.json), and so does ``giftCardsCount``;
* a mutation costs 10 (refundCreate: 20, refund-create-transactions-validation.json) plus its payload's
  selections, where the payload's own fields (``order``, ``job``, ``userErrors``…) are free but
  their children are not (orderUpdate x4 with one ``shippingAddress`` = 41; orderCreate with a
  ``fulfillmentOrders(first: 5)`` of 12-point nodes = 48).

The actual cost walks the response instead: null objects cost 0 and connections count the nodes returned.
"""

from __future__ import annotations

import math
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

FREE_OBJECT_TYPES = {"MoneyBag", "MoneyV2", "PageInfo"}
MUTATION_COST = 10
MUTATION_COST_OVERRIDES = {"refundCreate": 20}
# Query fields with their own defined cost: ordersCount costs 10 (order-catalog-count-read.json: four counts
# and six small orders connections = 69); so does giftCardsCount (a public live capture,
# airhorns/shopify-draft-proxy gift-card-lifecycle.json: giftCards(first: 2) with nodes and edges, 4, plus
# giftCardsCount = 14).
FIELD_COST_OVERRIDES = {"ordersCount": 10, "giftCardsCount": 10}
MAX_QUERY_COST = 1000
DEFAULT_PAGE_SIZE = 1


def page_factor(n: int) -> int:
    if n <= 0:
        return 0
    return max(1, int(2 * math.log(n)))


def _unwrap(t):
    is_list = False
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        if isinstance(t, GraphQLList):
            is_list = True
        t = t.of_type
    return t, is_list


def _is_connection(t) -> bool:
    return (
        isinstance(t, GraphQLObjectType)
        and t.name.endswith("Connection")
        and ("edges" in t.fields or "nodes" in t.fields)
    )


class CostCalculator:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = dict(variables or {})
        for definition in operation.variable_definitions or []:
            name = definition.variable.name.value
            if name not in self.variables and isinstance(definition.default_value, IntValueNode):
                self.variables[name] = int(definition.default_value.value)

    # --- public ------------------------------------------------------------------------------------

    def requested(self) -> int:
        return self._root(None, actual=False)

    def actual(self, data: dict | None) -> int:
        return self._root(data, actual=True)

    # --- walking -----------------------------------------------------------------------------------

    def _root(self, data: dict | None, actual: bool) -> int:
        is_mutation = self.operation.operation.value == "mutation"
        root = self.schema.mutation_type if is_mutation else self.schema.query_type
        total = 0
        for node, field_def in self._fields(root, self.operation.selection_set):
            key = node.alias.value if node.alias else node.name.value
            value = data.get(key) if isinstance(data, dict) else None
            if is_mutation:
                named, _ = _unwrap(field_def.type)
                total += MUTATION_COST_OVERRIDES.get(node.name.value, MUTATION_COST)
                if not (actual and value is None):
                    total += self._selection(named, node.selection_set, value, actual, payload=True)
            elif node.name.value in FIELD_COST_OVERRIDES and not (actual and value is None):
                total += FIELD_COST_OVERRIDES[node.name.value]
            else:
                total += self._field(field_def, node, value, actual)
        return total

    def _fields(self, parent, selection_set: SelectionSetNode | None):
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__"):
                    continue
                fields = getattr(parent, "fields", {})
                if name in fields:
                    yield sel, fields[name]
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = self.schema.get_type(sel.type_condition.name.value) or parent
                yield from self._fields(target, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None:
                    target = self.schema.get_type(frag.type_condition.name.value) or parent
                    yield from self._fields(target, frag.selection_set)

    def _selection(self, parent, selection_set, value, actual: bool, payload: bool = False) -> int:
        total = 0
        for node, field_def in self._fields(parent, selection_set):
            key = node.alias.value if node.alias else node.name.value
            child = value.get(key) if isinstance(value, dict) else None
            total += self._field(field_def, node, child, actual, free=payload)
        return total

    def _page_size(self, node: FieldNode) -> int:
        for arg in node.arguments or []:
            if arg.name.value in ("first", "last"):
                v = arg.value
                if isinstance(v, IntValueNode):
                    return int(v.value)
                if isinstance(v, VariableNode):
                    got = self.variables.get(v.name.value)
                    if isinstance(got, int):
                        return got
        return DEFAULT_PAGE_SIZE

    def _field(self, field_def, node: FieldNode, value, actual: bool, free: bool = False) -> int:
        named, is_list = _unwrap(field_def.type)
        if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            return 0
        if actual and value is None:
            return 0
        if _is_connection(named):
            return self._connection(named, node, value, actual)
        own = 0 if free or named.name in FREE_OBJECT_TYPES else 1
        if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            return own
        if is_list and actual:
            items = value if isinstance(value, list) else []
            if not items:
                return 0
            return own + max(self._selection(named, node.selection_set, item, actual) for item in items)
        return own + self._selection(named, node.selection_set, value, actual)

    def _connection(self, conn_type: GraphQLObjectType, node: FieldNode, value, actual: bool) -> int:
        node_type = _unwrap(conn_type.fields["nodes"].type)[0] if "nodes" in conn_type.fields else None
        items: list = []
        child = 0
        for sub, sub_def in self._fields(conn_type, node.selection_set):
            key = sub.alias.value if sub.alias else sub.name.value
            sub_value = value.get(key) if isinstance(value, dict) else None
            name = sub.name.value
            if name == "nodes":
                values = sub_value if isinstance(sub_value, list) else [None]
                items = values if actual else items
                child += self._each(node_type, sub.selection_set, values, actual)
            elif name == "edges":
                edge_type = _unwrap(sub_def.type)[0]
                values = sub_value if isinstance(sub_value, list) else [None]
                items = values if actual else items
                per = []
                for edge in values:
                    edge_cost = 0
                    for esub, edef in self._fields(edge_type, sub.selection_set):
                        if esub.name.value == "node":
                            ekey = esub.alias.value if esub.alias else "node"
                            nval = edge.get(ekey) if isinstance(edge, dict) else None
                            edge_cost += self._each(_unwrap(edef.type)[0], esub.selection_set, [nval], actual)
                    per.append(edge_cost)
                child += max(per) if per else 0
        n = len(items) if actual else self._page_size(node)
        return 2 + page_factor(n) * child

    def _each(self, node_type, selection_set, values: list, actual: bool) -> int:
        if node_type is None:
            return 0
        own = 0 if node_type.name in FREE_OBJECT_TYPES else 1
        costs = [
            own + self._selection(node_type, selection_set, v, actual) for v in values if not actual or v
        ]
        return max(costs) if costs else 0


def max_cost_error(cost: int) -> dict:
    """Shopify's refusal of a query whose requested cost is over 1000 (a measured live response)."""
    return {
        "message": (
            f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n"
            "See https://shopify.dev/docs/api/usage/rate-limits for more information on how the\n"
            "cost of a query is calculated.\n\n"
            "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
            "See https://shopify.dev/docs/api/usage/bulk-operations/queries for usage details.\n"
        ),
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": MAX_QUERY_COST,
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    }
