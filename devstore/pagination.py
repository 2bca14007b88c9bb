"""Relay connections over in-memory lists, with Shopify-shaped opaque cursors.

Shopify's cursors are base64 JSON ``{"last_id": <id>, "last_value": <sort value>}``
(order-catalog-count-read.json
decodes to ``{"last_id":8837991727410,"last_value":1782167640000}`` for CREATED_AT: epoch milliseconds).
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError

MAX_PAGE = 250


def encode_cursor(item_id: int, value: Any) -> str:
    raw = json.dumps({"last_id": item_id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=False).decode())
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(
            "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
        ) from exc


def check_page_args(first: int | None, last: int | None, *, required: bool = True) -> None:
    if first is None and last is None and required:
        raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
    if first is not None and last is not None:
        raise GraphQLError(
            "providing both first and last is not supported", extensions={"code": "BAD_REQUEST"}
        )
    for value in (first, last):
        if value is not None and (value < 0 or value > MAX_PAGE):
            raise GraphQLError(
                f"The page size is limited to {MAX_PAGE}; you requested {value}.",
                extensions={"code": "BAD_REQUEST"},
            )


def paginate(
    items: Sequence[Any],
    *,
    key: Callable[[Any], Any],
    item_id: Callable[[Any], int],
    cursor_value: Callable[[Any], Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    reverse: bool = False,
    wrap: Callable[[Any], Any] = lambda x: x,
    presorted: bool = False,
) -> dict:
    """Sort by (key, id), apply after/before then first/last; return {edges, nodes, pageInfo}."""
    ordered = list(items) if presorted else sorted(items, key=lambda it: (key(it), item_id(it)))
    keys = [(key(it), item_id(it)) for it in ordered]
    if reverse:
        ordered.reverse()
        keys.reverse()
    lo, hi = 0, len(ordered)

    def position(cursor: str) -> tuple[int, int]:
        """(index of the cursor's item or where it would be, index just after it) in iteration order."""
        value, cid = decode_cursor(cursor)
        target = (_as_key(value, keys), cid)
        if not reverse:
            i = bisect.bisect_left(keys, target)
            return i, i + (1 if i < len(keys) and keys[i] == target else 0)
        rev = [_Rev(k) for k in keys]
        i = bisect.bisect_left(rev, _Rev(target))
        return i, i + (1 if i < len(keys) and keys[i] == target else 0)

    if after:
        lo = max(lo, position(after)[1])
    if before:
        hi = min(hi, position(before)[0])
    window = ordered[lo:hi] if lo < hi else []
    has_next = hi < len(ordered)
    has_prev = lo > 0
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_prev = has_prev or len(window) > last
        window = window[max(len(window) - last, 0) :]
    edges = [{"cursor": encode_cursor(item_id(it), cursor_value(it)), "node": wrap(it)} for it in window]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def simple_connection(
    items: Sequence[Any],
    wrap: Callable[[Any], Any],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
) -> dict:
    """Child connections (line items, fulfillment orders, variants…) in their natural order, which is id
    order (ids only grow), so the id is both the sort key and the cursor value."""
    check_page_args(first, last, required=False)
    if first is None and last is None:
        first = MAX_PAGE
    return paginate(
        items,
        key=lambda it: it["id"],
        item_id=lambda it: it["id"],
        cursor_value=lambda it: it["id"],
        first=first,
        after=after,
        last=last,
        before=before,
        reverse=reverse,
        wrap=wrap,
        presorted=True,
    )


def _as_key(value: Any, keys: list) -> Any:
    """Cursor values equal sort keys, except ids, which cursors carry as strings."""
    if keys and isinstance(keys[0][0], int) and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


class _Rev:
    __slots__ = ("k",)

    def __init__(self, k: Any) -> None:
        self.k = k

    def __lt__(self, other: _Rev) -> bool:
        return other.k < self.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and other.k == self.k
