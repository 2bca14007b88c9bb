"""The full import's store step on PostgreSQL: the JSONL COPYed into staging tables, then upserted set-based.

`orders_upsert` spends most of a bulk import client-side (building model instances, psycopg escaping each
`last_payload` as a parameter). Here a batch of orders goes to temporary tables with `COPY`, the order's
JSONL line going in as its payload unchanged, and a handful of `INSERT … SELECT … ON CONFLICT` statements
write customers, orders and lines; one `DELETE` removes the lines an order no longer has.

The rules are `orders_upsert`'s, and so are the values: each row is read with `graphql_results.order`
and normalised as `mirror` does (`bulk_staging`; `test_bulk_ingest.py` imports one store both ways and
compares every column). An older `updated_at` never overwrites a newer row (the guard is in the upsert,
so a webhook racing the import is respected); only orders not older than the stored row touch their
customer; the newest order of a batch gives its customer's fields; lines are upserted by gid; and
`order_synced` is sent after each batch commits for the rows it wrote, in chunks of the mirror's batch
size, which the receivers were written for (`holds.orders_to_hold` looks at 500 orders at a time).

Memory stays flat: the file is read backwards one order at a time (`bulk_jsonl`) and turned into staged
rows by `bulk_staging` one batch ahead, in a thread, so that Python parses while PostgreSQL writes.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shopify_sync.models import Customer, LineItem, Order, Shop
from shopify_sync.services.bulk_staging import StagedBatch, read_ahead, staged_batches
from shopify_sync.services.mirror import ORDER_UPDATE_FIELDS, UpsertResult
from shopify_sync.signals import order_synced

BATCH_SIZE = 5000
SIGNAL_CHUNK = 500  # `orders_upsert`'s batch size: what `order_synced` receivers expect at a time

_STAGED_ORDER_COLUMNS = (
    "seq",
    "gid",
    "legacy_id",
    "name",
    "email",
    "processed_at",
    "created_at_shopify",
    "updated_at_shopify",
    "cancelled_at",
    "cancel_reason",
    "financial_status",
    "fulfillment_status",
    "closed",
    "currency",
    "total_price",
    "total_refunded",
    "presentment_currency",
    "total_price_presentment",
    "current_total_price",
    "current_total_price_presentment",
    "tags",
    "risk_level",
    "note",
    "shipping_address",
    "last_payload",
    "customer_gid",
    "customer_legacy_id",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
)
_STAGED_LINE_COLUMNS = (
    "order_seq",
    "gid",
    "title",
    "variant_title",
    "sku",
    "quantity",
    "current_quantity",
    "unfulfilled_quantity",
    "unit_price",
    "unit_price_presentment",
    "currency",
    "presentment_currency",
    "image_url",
    "position",
    "requires_shipping",
    "gift_card",
)
# The order columns an upsert writes from the staged row: `orders_upsert`'s but the customer and the sync
# time, which come from elsewhere (the risk level, kept when blank, is written apart from these too).
_ORDER_COPIED = tuple(name for name in ORDER_UPDATE_FIELDS if name not in ("customer", "synced_at"))
_LINE_COPIED = _STAGED_LINE_COLUMNS[2:]

_STAGING_DDL = (
    """CREATE TEMPORARY TABLE bulk_ingest_orders (
        seq integer PRIMARY KEY, gid text NOT NULL, legacy_id bigint, name text, email text,
        processed_at timestamptz, created_at_shopify timestamptz, updated_at_shopify timestamptz,
        cancelled_at timestamptz, cancel_reason text, financial_status text, fulfillment_status text,
        closed boolean, currency text, total_price numeric, total_refunded numeric,
        presentment_currency text, total_price_presentment numeric, current_total_price numeric,
        current_total_price_presentment numeric, tags jsonb, risk_level text, note text,
        shipping_address jsonb, last_payload jsonb, customer_gid text, customer_legacy_id bigint,
        customer_email text, customer_first_name text, customer_last_name text)""",
    """CREATE TEMPORARY TABLE bulk_ingest_lines (
        order_seq integer NOT NULL, gid text NOT NULL, title text, variant_title text, sku text,
        quantity integer, current_quantity integer, unfulfilled_quantity integer, unit_price numeric,
        unit_price_presentment numeric, currency text, presentment_currency text, image_url text,
        position integer, requires_shipping boolean, gift_card boolean)""",
    "CREATE TEMPORARY TABLE bulk_ingest_written (id bigint PRIMARY KEY, gid text NOT NULL, created boolean)",
    "CREATE TEMPORARY TABLE bulk_ingest_kept_lines (id bigint PRIMARY KEY)",
)
_STAGING_TABLES = ("bulk_ingest_orders", "bulk_ingest_lines", "bulk_ingest_written", "bulk_ingest_kept_lines")


def bulk_ingest_available() -> bool:
    """COPY and these statements are PostgreSQL's; SQLite (`make run`) keeps `orders_upsert`."""
    return connection.vendor == "postgresql"


def orders_ingest_jsonl(
    *, shop: Shop, path: Path, batch_size: int = BATCH_SIZE
) -> Generator[tuple[int, UpsertResult], None, None]:
    """Store every order of the bulk JSONL at `path`, batch by batch; yield (orders read, what the batch
    wrote) after each batch commits and its `order_synced` went out. `order_ids` of the results stay empty
    so that memory does not grow with the store."""
    _staging_create()
    try:
        for batch in read_ahead(staged_batches(path, batch_size)):
            yield len(batch.orders), _store_batch(shop=shop, batch=batch)
    finally:
        _staging_drop()


def _staging_create() -> None:
    with connection.cursor() as cursor:
        _staging_drop_with(cursor)  # left over by an import that died in this session
        for statement in _STAGING_DDL:
            cursor.execute(statement)


def _staging_drop() -> None:
    if connection.needs_rollback or connection.connection is None:
        return  # the caller's transaction is broken: its rollback takes the tables along
    with connection.cursor() as cursor:
        _staging_drop_with(cursor)


def _staging_drop_with(cursor: Any) -> None:
    cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_STAGING_TABLES))


def _store_batch(*, shop: Shop, batch: StagedBatch) -> UpsertResult:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(_STAGING_TABLES))
        # Sorting a batch's orders by gid (payloads and all) would spill to disk at the default 4MB.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        _copy_batch(cursor, batch)
        # Temporary tables have no statistics unless asked: without them the joins below are planned
        # for a few rows. The joined columns only: statistics of the payloads would cost more than the joins.
        cursor.execute(
            "ANALYZE bulk_ingest_orders (seq, gid, customer_gid), bulk_ingest_lines (order_seq, gid)"
        )
        params: dict[str, Any] = {"shop": shop.pk, "now": timezone.now()}
        for statement in _statements():
            cursor.execute(statement, params if "%(" in statement else None)
        cursor.execute('SELECT id, created FROM bulk_ingest_written ORDER BY gid COLLATE "C"')
        written = cursor.fetchall()
    order_ids = [pk for pk, _created in written]
    for start in range(0, len(order_ids), SIGNAL_CHUNK):
        order_synced.send(sender=Order, shop=shop, order_ids=order_ids[start : start + SIGNAL_CHUNK])
    created = sum(1 for _pk, was_created in written if was_created)
    return UpsertResult(
        created=created, updated=len(written) - created, skipped_stale=len(batch.orders) - len(written)
    )


def _copy_batch(cursor: Any, batch: StagedBatch) -> None:
    # The raw psycopg cursor: Django's wrapper knows nothing of COPY.
    raw = cursor.cursor
    with raw.copy(f"COPY bulk_ingest_orders ({', '.join(_STAGED_ORDER_COLUMNS)}) FROM STDIN") as copy:
        for row in batch.orders:
            copy.write_row(row)
    with raw.copy(f"COPY bulk_ingest_lines ({', '.join(_STAGED_LINE_COLUMNS)}) FROM STDIN") as copy:
        for row in batch.lines:
            copy.write_row(row)


def _statements() -> list[str]:
    """The batch's statements, in order (table and column names from the models, values as parameters).
    Rows go in gid order (byte order, as Python sorts the gids in
    `orders_upsert`), so an import and a webhook batch lock shared rows in one order and cannot deadlock."""
    order_table = Order._meta.db_table
    customer_table = Customer._meta.db_table
    line_table = LineItem._meta.db_table
    return [
        # One payload per order, the newest (the later one in the batch on a tie), as `_newest_per_order`.
        """DELETE FROM bulk_ingest_orders a USING bulk_ingest_orders b
           WHERE a.gid = b.gid AND (a.updated_at_shopify, a.seq) < (b.updated_at_shopify, b.seq)""",
        # The stored rows of the batch's orders, locked first and in gid order, before any customer is
        # written: a webhook locks its order row and then writes the customer (see `orders_upsert`).
        f"""SELECT 1 FROM {order_table} s
            JOIN bulk_ingest_orders o ON s.shop_id = %(shop)s AND s.shopify_gid = o.gid
            ORDER BY s.shopify_gid COLLATE "C" FOR UPDATE OF s""",  # noqa: S608
        # Customers of the orders not older than their stored row; the newest order's view of each wins
        # (on a tie, the greater gid, as `_upsert_customers` sorting the gid-ordered orders by time).
        f"""INSERT INTO {customer_table} AS stored
                (shop_id, shopify_gid, legacy_id, email, first_name, last_name)
            SELECT %(shop)s, gid, legacy_id, email, first_name, last_name FROM (
                SELECT DISTINCT ON (o.customer_gid) o.customer_gid AS gid, o.customer_legacy_id AS legacy_id,
                       o.customer_email AS email, o.customer_first_name AS first_name,
                       o.customer_last_name AS last_name
                FROM bulk_ingest_orders o
                WHERE o.customer_gid IS NOT NULL
                  -- a subquery per row, so one index probe per order, never a scan of the shop's orders
                  AND COALESCE((SELECT s.updated_at_shopify <= o.updated_at_shopify FROM {order_table} s
                                WHERE s.shop_id = %(shop)s AND s.shopify_gid = o.gid), true)
                ORDER BY o.customer_gid, o.updated_at_shopify DESC, o.gid COLLATE "C" DESC
            ) newest
            ORDER BY gid COLLATE "C"
            ON CONFLICT (shop_id, shopify_gid) DO UPDATE SET
                legacy_id = EXCLUDED.legacy_id, email = EXCLUDED.email,
                first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name
            -- a customer met in every batch is written once, not once a batch, when nothing changed
            WHERE (stored.legacy_id, stored.email, stored.first_name, stored.last_name)
                IS DISTINCT FROM (EXCLUDED.legacy_id, EXCLUDED.email, EXCLUDED.first_name, EXCLUDED.last_name)
            """,  # noqa: S608
        _order_upsert(order_table, customer_table, risk_known=True),
        _order_upsert(order_table, customer_table, risk_known=False),
        # Each written order's lines, upserted by gid (rows others point at keep their key). A line gid
        # met twice keeps the last one met (orders in gid order, lines in position order).
        f"""WITH kept AS (
                INSERT INTO {line_table} AS stored (order_id, shopify_gid, {", ".join(_LINE_COPIED)})
                SELECT order_id, gid, {", ".join(_LINE_COPIED)} FROM (
                    SELECT DISTINCT ON (l.gid) w.id AS order_id, l.*
                    FROM bulk_ingest_lines l
                    JOIN bulk_ingest_orders o ON o.seq = l.order_seq
                    JOIN bulk_ingest_written w ON w.gid = o.gid
                    ORDER BY l.gid, o.gid COLLATE "C" DESC, l.position DESC
                ) last_met
                ORDER BY gid COLLATE "C"
                ON CONFLICT (shopify_gid) DO UPDATE SET
                    {", ".join(f"{column} = EXCLUDED.{column}" for column in _LINE_COPIED)}
                RETURNING stored.id
            )
            INSERT INTO bulk_ingest_kept_lines SELECT id FROM kept""",  # noqa: S608
        # The lines a written order no longer has.
        f"""DELETE FROM {line_table} li USING bulk_ingest_written w
            WHERE li.order_id = w.id
              AND NOT EXISTS (SELECT 1 FROM bulk_ingest_kept_lines k WHERE k.id = li.id)""",  # noqa: S608
    ]


def _order_upsert(order_table: str, customer_table: str, *, risk_known: bool) -> str:
    """Orders whose payload says their risk level write it; the others keep the stored one (an import
    always says; kept for parity with `orders_upsert`). The WHERE is the monotonic guard."""
    updates = [f"{column} = EXCLUDED.{column}" for column in _ORDER_COPIED]
    updates += ["customer_id = EXCLUDED.customer_id", "synced_at = EXCLUDED.synced_at"]
    if risk_known:
        updates.append("risk_level = EXCLUDED.risk_level")
    return f"""WITH written AS (
            INSERT INTO {order_table} AS stored
                (shop_id, shopify_gid, customer_id, risk_level, synced_at, {", ".join(_ORDER_COPIED)})
            SELECT %(shop)s, o.gid, c.id, COALESCE(o.risk_level, ''), %(now)s,
                   {", ".join(f"o.{column}" for column in _ORDER_COPIED)}
            FROM bulk_ingest_orders o
            LEFT JOIN {customer_table} c ON c.shop_id = %(shop)s AND c.shopify_gid = o.customer_gid
            WHERE o.risk_level IS {"NOT " if risk_known else ""}NULL
            ORDER BY o.gid COLLATE "C"
            ON CONFLICT (shop_id, shopify_gid) DO UPDATE SET {", ".join(updates)}
            WHERE stored.updated_at_shopify <= EXCLUDED.updated_at_shopify
            RETURNING stored.id, stored.shopify_gid, stored.xmax = 0
        )
        INSERT INTO bulk_ingest_written SELECT * FROM written"""  # noqa: S608
