"""bulkOperationRunQuery: run a query over the whole store in the background and serve JSONL.

The result file has one JSON object per line, like Shopify's
(bulk-operation-root-count-and-search-filters.json):
each node of the top-level connection is a row, each node of a nested connection is its own row with
``__parentId`` naming its parent, nested connections are left out of the parent row, and slashes are
escaped (``"gid:\\/\\/shopify\\/Order\\/1"``) as Shopify's encoder writes them. The file is served at
``/_devstore/bulk/<id>.jsonl``. A query over ``orders`` is answered straight from the store's state
(bulk_export.py); any other is run through GraphQL page by page (250 roots at a time). Either way the store
lock is taken per 250 roots only, so the API stays responsive during a large export.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    IntValueNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    parse,
    validate,
)

from . import bulk_export, clock
from .ids import gid

if TYPE_CHECKING:
    from .app import App

PAGE = 250


def _error(message: str, code: str = "INVALID") -> list[dict]:
    return [{"field": ["query"], "message": message, "code": code}]


def _top_connections(app: App, document: DocumentNode) -> list[FieldNode]:
    found: list[FieldNode] = []
    query_type = app.schema.query_type
    if query_type is None:
        return found
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for sel in definition.selection_set.selections:
                if isinstance(sel, FieldNode) and sel.name.value in query_type.fields:
                    type_name = str(query_type.fields[sel.name.value].type).rstrip("!")
                    if type_name.endswith("Connection"):
                        found.append(sel)
    return found


def start(app: App, query: str) -> tuple[dict | None, list[dict]]:
    """Validate like Shopify (bulk-operation-run-query-user-error-codes.json) and queue the run."""
    if not query or not query.strip():
        return None, _error("Invalid bulk query: syntax error, unexpected end of file")
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, _error(f"Invalid bulk query: {exc.message}")
    problems = validate(app.schema, document)
    if problems:
        return None, _error(f"Invalid bulk query: {problems[0].message}")
    if not any(
        isinstance(d, OperationDefinitionNode) and d.operation.value == "query" for d in document.definitions
    ):
        return None, _error("Bulk queries must be a query operation.")
    if not _top_connections(app, document):
        return None, _error("Bulk queries must contain at least one connection.")
    store = app.store
    running = [op for op in store.state.bulk_operations.values() if op["status"] in ("CREATED", "RUNNING")]
    if running:
        return None, _error(
            "A bulk query operation for this app and shop is already in progress: "
            f"{gid('BulkOperation', running[0]['id'])}.",
            "OPERATION_IN_PROGRESS",
        )
    op: dict[str, Any] = {
        "id": store.new_id("BulkOperation"),
        "status": "CREATED",
        "type": "QUERY",
        "error_code": None,
        "created_at": clock.now(),
        "completed_at": None,
        "object_count": 0,
        "root_object_count": 0,
        "file_size": None,
        "url": None,
        "query": query,
    }
    store.state.bulk_operations[op["id"]] = op
    threading.Thread(
        target=_run, args=(app, op["id"], document), name=f"bulk-{op['id']}", daemon=True
    ).start()
    return op, []


def _paged(field: FieldNode, after: str | None) -> FieldNode:
    args = [a for a in field.arguments or () if a.name.value not in ("first", "after", "last", "before")]
    args.append(ArgumentNode(name=NameNode(value="first"), value=IntValueNode(value=str(PAGE))))
    if after:
        args.append(ArgumentNode(name=NameNode(value="after"), value=StringValueNode(value=after)))
    page_info = FieldNode(
        alias=NameNode(value="__bulkPageInfo"),
        name=NameNode(value="pageInfo"),
        arguments=(),
        directives=(),
        selection_set=SelectionSetNode(
            selections=(
                FieldNode(name=NameNode(value="hasNextPage"), arguments=(), directives=()),
                FieldNode(name=NameNode(value="endCursor"), arguments=(), directives=()),
            )
        ),
    )
    # A connection is an object type, so validation has made sure the field has a selection.
    assert field.selection_set is not None
    selections = (*field.selection_set.selections, page_info)
    return FieldNode(
        alias=field.alias,
        name=field.name,
        arguments=tuple(args),
        directives=field.directives,
        selection_set=SelectionSetNode(selections=selections),
    )


def _rows(node: dict, parent_id: str | None) -> Iterator[dict]:
    row: dict[str, Any] = {}
    children: list[list[dict]] = []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            items = [e["node"] for e in value.get("edges") or []] or list(value.get("nodes") or [])
            children.append(items)
            continue
        row[key] = value
    if parent_id is not None:
        row["__parentId"] = parent_id
    yield row
    for items in children:
        for item in items:
            yield from _rows(item, row.get("id"))


def encode_row(row: dict) -> str:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


@dataclass
class Counts:
    """What the file holds so far (a failed operation reports them too)."""

    roots: int = 0
    objects: int = 0


class BulkFailed(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _error_code(errors: list[GraphQLError]) -> str:
    """BulkOperationErrorCode for a page that errored: ACCESS_DENIED when a field was refused (Shopify's
    schema: the query "returned access denied"), such as protected customer data (protected_data.py)."""
    if any((e.extensions or {}).get("code") == "ACCESS_DENIED" for e in errors):
        return "ACCESS_DENIED"
    return "INTERNAL_SERVER_ERROR"


def _run(app: App, op_id: int, document: DocumentNode) -> None:
    store = app.store
    time.sleep(app.config.bulk_delay)
    with store.lock:
        op = store.state.bulk_operations[op_id]
        op["status"] = "RUNNING"
    path: Path = app.bulk_dir / f"{op_id}.jsonl"
    counts = Counts()
    try:
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        field = _top_connections(app, document)[0]
        fragments = [d for d in document.definitions if not isinstance(d, OperationDefinitionNode)]
        with path.open("w", encoding="utf-8") as fh:
            try:
                export = bulk_export.OrdersExport(
                    app,
                    operation,
                    field,
                    {d.name.value: d for d in fragments if isinstance(d, FragmentDefinitionNode)},
                )
            except bulk_export.Unsupported:
                _run_paged(app, operation, field, fragments, fh, counts)
            else:
                _run_direct(export, fh, counts)
        status, error_code = "COMPLETED", None
    except BulkFailed as exc:
        status, error_code = "FAILED", exc.code
    except Exception:  # any failure is reported on the operation, as Shopify does (FAILED)
        status, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
    with store.lock:
        op = store.state.bulk_operations[op_id]
        op.update(
            status=status,
            error_code=error_code,
            completed_at=clock.now(),
            object_count=counts.objects,
            root_object_count=counts.roots,
            file_size=path.stat().st_size if status == "COMPLETED" and counts.objects else None,
            url=(
                f"{app.base_url}/_devstore/bulk/{op_id}.jsonl"
                if status == "COMPLETED" and counts.objects
                else None
            ),
        )
        store.publish(
            "bulk_operations/finish",
            {
                "admin_graphql_api_id": gid("BulkOperation", op_id),
                "completed_at": clock.iso_local(op["completed_at"], store.zone),
                "created_at": clock.iso_local(op["created_at"], store.zone),
                "error_code": error_code.lower() if error_code else None,
                "status": status.lower(),
                "type": "query",
            },
        )
    app.persist()


def _write(node: dict, fh: TextIO, counts: Counts) -> None:
    counts.roots += 1
    for row in _rows(node, None):
        counts.objects += 1
        fh.write(encode_row(row) + "\n")


def _run_direct(export: bulk_export.OrdersExport, fh: TextIO, counts: Counts) -> None:
    """Write the rows from the store's state (bulk_export.py)."""
    try:
        for node in export.nodes():
            _write(node, fh, counts)
    except bulk_export.Failed as exc:
        raise BulkFailed(_error_code(exc.errors)) from exc


def _run_paged(
    app: App,
    operation: OperationDefinitionNode,
    field: FieldNode,
    fragments: list,
    fh: TextIO,
    counts: Counts,
) -> None:
    """Write the rows by running the query through GraphQL, PAGE roots at a time: any query."""
    key = field.alias.value if field.alias else field.name.value
    after = None
    while True:
        paged_op = OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=(),
            directives=(),
            selection_set=SelectionSetNode(selections=(_paged(field, after),)),
        )
        result = app.execute_internal(DocumentNode(definitions=(paged_op, *fragments)))
        if result.errors or result.data is None:
            raise BulkFailed(_error_code(result.errors or []))
        conn = result.data[key]
        nodes = [e["node"] for e in conn.get("edges") or []] or list(conn.get("nodes") or [])
        for node in nodes:
            _write(node, fh, counts)
        info = conn["__bulkPageInfo"]
        if not info["hasNextPage"]:
            return
        after = info["endCursor"]
