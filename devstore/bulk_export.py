"""The fast way through a bulk query over ``orders``: straight from the store's state, no GraphQL run.

Running the query page by page through graphql-core cost about a millisecond an order (a 50k-order export
took a minute): each page searched the whole store again, and the executor's per-field bookkeeping
dominated. Here the matching orders are found and sorted once, and each order's answer is built by calling
the very resolvers the executor would call (the schema's ``resolve`` where one is set, so protected data is
refused alike, else graphql-core's default resolver), with the same arguments, and serialising leaves with
the schema's own scalars. The node dict is the one graphql-core would answer, so ``bulk._rows`` cuts it into
the same JSONL rows (``tests/test_bulk_export.py`` compares the two ways).

A query this does not cover (another root connection, directives, a root selection other than plain
``edges { node }`` or ``nodes``) raises ``Unsupported`` before anything is written, and ``bulk`` runs it the
old way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path as ResponsePath

from .pagination import paginate
from .resolvers import ORDER_SORT_KEYS, Context, OrderNode, QueryRoot

if TYPE_CHECKING:
    from .app import App

CHUNK = 250  # orders built per hold of the store lock, so the API stays responsive meanwhile
_PAGING_ARGUMENTS = ("first", "after", "last", "before")
_INFO_FIELDS = frozenset(GraphQLResolveInfo._fields)
_MAPPING_TYPES: dict[type, bool] = {}


class Unsupported(Exception):
    """The query needs the general GraphQL executor."""


class Failed(Exception):
    """Resolving an order raised: the errors, as graphql-core would have reported them."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


Completer = Callable[[Any], Any]


class OrdersExport:
    """One bulk query over ``orders``, prepared: ``nodes()`` yields each order's answer in the order the
    paged GraphQL run would have produced it."""

    def __init__(
        self, app: App, operation: OperationDefinitionNode, field: FieldNode, fragments: dict
    ) -> None:
        query_type = app.schema.query_type
        if query_type is None or field.name.value != "orders" or field.directives:
            raise Unsupported("only the orders connection is exported directly")
        self.app = app
        self.operation = operation
        self.fragments: dict[str, FragmentDefinitionNode] = fragments
        self.root_field = query_type.fields["orders"]
        self.arguments = {
            name: value
            for name, value in get_argument_values(self.root_field, field).items()
            if name not in _PAGING_ARGUMENTS
        }
        self.node_fields = _node_selection(field)
        order_type = app.schema.get_type("Order")
        assert isinstance(order_type, GraphQLObjectType)
        self.order_type = order_type
        self.errors: list[GraphQLError] = []
        # Compile once to refuse an unsupported selection before the file is started.
        self._compile_object(order_type, self.node_fields, Context(app, app.credentials.scopes))

    def nodes(self) -> Iterator[dict]:
        store = self.app.store
        with store.lock:
            context = Context(self.app, self.app.credentials.scopes)
            ordered = self._matched(context)
        for start in range(0, len(ordered), CHUNK):
            with store.lock:
                # A context per chunk, as a page had its own: what the app may read is read again.
                context = Context(self.app, self.app.credentials.scopes)
                complete = self._compile_object(self.order_type, self.node_fields, context)
                answers = [complete(OrderNode(context, order)) for order in ordered[start : start + CHUNK]]
            if self.errors:
                raise Failed(self.errors)
            yield from answers

    def _matched(self, context: Context) -> list[dict]:
        """The orders the root field selects, in its order: `QueryRoot.orders` without the page."""
        info = self._info("orders", [], self.root_field.type, self.app.schema.query_type, context)
        sort_key = self.arguments.get("sortKey") or "ID"
        key, cursor_value = ORDER_SORT_KEYS.get(sort_key, ORDER_SORT_KEYS["ID"])
        connection = paginate(
            QueryRoot()._orders(info, self.arguments.get("query")),
            key=key,
            item_id=lambda o: o["id"],
            cursor_value=cursor_value,
            first=None,
            after=None,
            last=None,
            before=None,
            reverse=bool(self.arguments.get("reverse")),
            presorted=sort_key in ("ID", "RELEVANCE"),
        )
        return list(connection["nodes"])

    # --- building answers ------------------------------------------------------------------------

    def _compile_object(
        self, object_type: GraphQLObjectType, field_nodes: Sequence[FieldNode], context: Context
    ) -> Completer:
        plan = [
            (key, self._field(object_type, key, nodes, context))
            for key, nodes in self._collect(object_type, field_nodes).items()
        ]
        errors = self.errors

        def complete(source: Any) -> dict:
            answer = {}
            for key, field_value in plan:
                try:
                    answer[key] = field_value(source)
                except GraphQLError as exc:
                    errors.append(exc)
                    answer[key] = None
                except Exception as exc:  # graphql-core reports any resolver failure as a field error
                    errors.append(GraphQLError(str(exc), original_error=exc))
                    answer[key] = None
            return answer

        return complete

    def _field(
        self, object_type: GraphQLObjectType, key: str, nodes: list[FieldNode], context: Context
    ) -> Completer:
        """source -> the field's completed value."""
        name = nodes[0].name.value
        if name == "__typename":
            type_name = object_type.name
            return lambda _source: type_name
        field_def = object_type.fields[name]
        info = self._info(name, nodes, field_def.type, object_type, context, key=key)
        arguments = get_argument_values(field_def, nodes[0])
        complete_value = self._completer(field_def.type, nodes, context)
        resolve = field_def.resolve
        if resolve is not None:
            return lambda source: complete_value(resolve(source, info, **arguments))

        def default(source: Any) -> Any:
            # graphql-core's default_field_resolver, with its Mapping check (an ABC's, slow) kept per type.
            source_type = type(source)
            mapping = _MAPPING_TYPES.get(source_type)
            if mapping is None:
                mapping = _MAPPING_TYPES[source_type] = isinstance(source, Mapping)
            value = source.get(name) if mapping else getattr(source, name, None)
            if callable(value):
                value = value(info, **arguments)
            return complete_value(value)

        return default

    def _completer(
        self, return_type: GraphQLOutputType, field_nodes: Sequence[FieldNode], context: Context
    ) -> Completer:
        if isinstance(return_type, GraphQLNonNull):
            inner = return_type.of_type
            if is_leaf_type(inner):  # the commonest field: one call, not two
                serialize_non_null = inner.serialize

                def non_null_leaf(value: Any) -> Any:
                    result = None if value is None else serialize_non_null(value)
                    if result is None:
                        raise GraphQLError("Cannot return null for non-nullable field.")
                    return result

                return non_null_leaf
            complete_inner = self._completer(inner, field_nodes, context)

            def non_null(value: Any) -> Any:
                result = complete_inner(value)
                if result is None:
                    raise GraphQLError("Cannot return null for non-nullable field.")
                return result

            return non_null
        if isinstance(return_type, GraphQLList):
            item = self._completer(return_type.of_type, field_nodes, context)
            return lambda value: None if value is None else [item(v) for v in value]
        if is_leaf_type(return_type):
            serialize = return_type.serialize
            return lambda value: None if value is None else serialize(value)
        if is_abstract_type(return_type):
            compiled: dict[str, Completer] = {}
            # The devstore's abstract types all resolve by the value alone (resolvers.resolve_node_type).
            resolve_type: Callable[..., Any] = return_type.resolve_type or _no_type

            def abstract(value: Any) -> Any:
                if value is None:
                    return None
                name = str(resolve_type(value, None, return_type))
                if name not in compiled:
                    runtime = self.app.schema.get_type(name)
                    if not isinstance(runtime, GraphQLObjectType):
                        raise GraphQLError(f"Abstract type {return_type} resolved to no object type.")
                    compiled[name] = self._compile_object(runtime, field_nodes, context)
                return compiled[name](value)

            return abstract
        assert isinstance(return_type, GraphQLObjectType)
        # Object types can nest themselves (an order's line item's order…): compile on first use.
        holder: list[Completer] = []

        def object_value(value: Any) -> Any:
            if value is None:
                return None
            if not holder:
                holder.append(self._compile_object(return_type, field_nodes, context))
            return holder[0](value)

        return object_value

    def _collect(
        self, object_type: GraphQLObjectType, field_nodes: Sequence[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        """Sub-fields by response key, in first-seen order, fragments applied (graphql-core's merging)."""
        collected: dict[str, list[FieldNode]] = {}
        for node in field_nodes:
            if node.selection_set is not None:
                self._collect_into(object_type, node.selection_set, collected)
        return collected

    def _collect_into(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        collected: dict[str, list[FieldNode]],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                collected.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, object_type):
                    self._collect_into(object_type, selection.selection_set, collected)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise Unsupported(f"unknown fragment {selection.name.value}")
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect_into(object_type, fragment.selection_set, collected)

    def _applies(self, condition: str, object_type: GraphQLObjectType) -> bool:
        if condition == object_type.name:
            return True
        conditional = self.app.schema.get_type(condition)
        return is_abstract_type(conditional) and self.app.schema.is_sub_type(conditional, object_type)

    def _info(
        self,
        field_name: str,
        field_nodes: list[FieldNode],
        return_type: Any,
        parent_type: Any,
        context: Context,
        *,
        key: str | None = None,
    ) -> GraphQLResolveInfo:
        fields: dict[str, Any] = {
            "field_name": field_name,
            "field_nodes": field_nodes,
            "return_type": return_type,
            "parent_type": parent_type,
            "path": ResponsePath(None, key or field_name, getattr(parent_type, "name", None)),
            "schema": self.app.schema,
            "fragments": self.fragments,
            "root_value": None,
            "operation": self.operation,
            "variable_values": {},
            "context": context,
            "is_awaitable": lambda _value: False,
            # Fields graphql-core 3.3 added; nothing here is asynchronous or aborted.
            "abort_signal": None,
            "async_helpers": None,
        }
        return GraphQLResolveInfo(**{name: value for name, value in fields.items() if name in _INFO_FIELDS})


def _node_selection(field: FieldNode) -> list[FieldNode]:
    """The field nodes of the root connection's ``edges { node }`` or ``nodes``, which `bulk._run` takes
    (edges first). Anything cleverer is left to the executor."""
    if field.selection_set is None:
        raise Unsupported("no selection")
    edges_nodes: list[FieldNode] = []
    nodes: list[FieldNode] = []
    for selection in field.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise Unsupported("fragments or directives on the connection")
        name = selection.name.value
        if selection.alias and selection.alias.value != name:
            raise Unsupported("an aliased connection field")
        if name == "edges" and selection.selection_set is not None:
            for sub in selection.selection_set.selections:
                if not isinstance(sub, FieldNode) or sub.directives or sub.alias:
                    raise Unsupported("fragments, aliases or directives on edges")
                if sub.name.value == "node":
                    edges_nodes.append(sub)
            if not edges_nodes:
                raise Unsupported("edges without their node")
        elif name == "nodes":
            nodes.append(selection)
    if edges_nodes:
        return edges_nodes
    if nodes:
        return nodes
    raise Unsupported("neither edges { node } nor nodes")


def _no_type(value: Any, info: Any, abstract_type: Any) -> None:
    return None
