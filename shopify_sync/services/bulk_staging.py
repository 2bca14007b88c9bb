"""The bulk JSONL as rows for `bulk_ingest`'s staging tables, read one batch ahead in a thread.

Each order is read with `graphql_results.order` and normalised exactly as `mirror._order_row` and
`mirror._replace_line_items` do, so both paths write the same values; its payload is the JSONL line itself.
Parsing is pure Python and storing mostly PostgreSQL's work, so the next batch is parsed in a thread while
the current one is written (the database connection stays in the caller's thread); at most two batches
wait in memory besides the one being written.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Full, Queue
from typing import TypeVar

from shopify_sync import bulk_jsonl, graphql_results
from shopify_sync.services.mirror import normalise_email
from shopify_sync.types import OrderData

T = TypeVar("T")


@dataclass
class StagedBatch:
    """Rows in the column order of `bulk_ingest`'s staging tables; `seq` ties a line to its order."""

    orders: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)


def staged_batches(path: Path, batch_size: int) -> Iterator[StagedBatch]:
    batch = StagedBatch()
    for row, line, children in bulk_jsonl.orders_with_lines(path):
        data = graphql_results.order(row, line_items=children)
        seq = len(batch.orders)
        batch.orders.append(order_row(seq, data, line.decode()))
        batch.lines.extend(line_rows(seq, data))
        if len(batch.orders) >= batch_size:
            yield batch
            batch = StagedBatch()
    if batch.orders:
        yield batch


def order_row(seq: int, data: OrderData, line: str) -> tuple:
    """The values `mirror._order_row` gives the model, field for field, and the customer's as
    `mirror._upsert_customers` writes them."""
    customer = data.customer
    return (
        seq,
        data.gid,
        data.legacy_id,
        data.name,
        normalise_email(data.email),
        data.processed_at,
        data.created_at,
        data.updated_at,
        data.cancelled_at,
        (data.cancel_reason or "").lower(),
        (data.financial_status or "").lower(),
        (data.fulfillment_status or "").lower(),
        data.closed,
        data.total_price.currency,
        data.total_price.amount,
        data.total_refunded.amount,
        data.total_price_presentment.currency,
        data.total_price_presentment.amount,
        data.current_total_price.amount if data.current_total_price else None,
        data.current_total_price_presentment.amount if data.current_total_price_presentment else None,
        json.dumps(list(data.tags)),
        None if data.risk_level is None else data.risk_level.lower(),
        data.note or "",
        json.dumps(data.shipping_address.as_dict()) if data.shipping_address else None,
        line,
        customer.gid if customer else None,
        customer.legacy_id if customer else None,
        normalise_email(customer.email) if customer else None,
        (customer.first_name or "") if customer else None,
        (customer.last_name or "") if customer else None,
    )


def line_rows(seq: int, data: OrderData) -> Iterator[tuple]:
    """The values `mirror._replace_line_items` gives each line, its position in the payload included."""
    for position, line in enumerate(data.line_items):
        yield (
            seq,
            line.gid,
            line.title,
            line.variant_title or "",
            line.sku or "",
            line.quantity,
            line.current_quantity,
            line.unfulfilled_quantity,
            line.unit_price.amount,
            line.unit_price_presentment.amount,
            line.unit_price.currency,
            line.unit_price_presentment.currency,
            line.image_url or "",
            position,
            line.requires_shipping,
            line.gift_card,
        )


_DONE = object()


@dataclass
class _Failed:
    error: BaseException


def read_ahead(items: Iterator[T], *, ahead: int = 1) -> Generator[T, None, None]:
    """`items`, produced in a thread up to `ahead` items before they are asked for. An exception there is
    raised here; stopping early (or failing) here stops the thread."""
    queue: Queue[object] = Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))

    thread = threading.Thread(target=produce, name="bulk-import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
