"""Keeping the mirror in step with Shopify: incremental sync (heals missed webhooks) and the full import.

Incremental sync asks for orders updated since the shop's cursor (minus a small overlap, because Shopify's
`updated_at` has one-second resolution and an order can change while we page), oldest change first, and
advances the cursor only after a page is stored: a crash loses nothing and the next run resumes there.
One sync per shop runs at a time, claimed with a lease on the shop row (a conditional update): a crashed
worker's lease simply expires.

The full import hands Shopify a bulk query, waits for it by polling (the `bulk_operations/finish` webhook
becomes the `bulk_operation_finished` signal, which nothing waits on yet), streams the JSONL to a
temporary file and stores it in batches: COPY and set-based upserts on PostgreSQL
(`services.bulk_ingest`), `orders_upsert` elsewhere.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shopify_sync import bulk_jsonl, graphql_results
from shopify_sync.client import BulkOperation, ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyError
from shopify_sync.models import Shop
from shopify_sync.services.bulk_ingest import bulk_ingest_available, orders_ingest_jsonl
from shopify_sync.services.mirror import UpsertResult, orders_upsert
from shopify_sync.services.shops import shop_get_or_create_current, shop_update_from_data

logger = logging.getLogger(__name__)

CURSOR_OVERLAP = timedelta(minutes=2)
SYNC_LEASE = timedelta(minutes=10)
BULK_BATCH_SIZE = 1000


class SyncAlreadyRunning(Exception):
    """Another process holds this shop's sync lease."""


class BulkImportFailed(ShopifyError):
    pass


@dataclass
class SyncResult:
    pages: int = 0
    orders: int = 0
    created: int = 0
    updated: int = 0
    skipped_stale: int = 0
    cursor: datetime | None = None


def shop_refresh(*, client: ShopifyClient, shop: Shop | None = None) -> Shop:
    """Read the shop's name, time zone and currency from Shopify into the shop row."""
    shop = shop or shop_get_or_create_current()
    return shop_update_from_data(shop=shop, data=client.shop())


def _claim_lease(shop: Shop) -> bool:
    now = timezone.now()
    free = Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
    claimed = Shop.objects.filter(free, pk=shop.pk).update(
        sync_lease_until=now + SYNC_LEASE, last_sync_started_at=now, last_sync_error=""
    )
    return claimed == 1


def _search_since(cursor: datetime) -> str:
    since = (cursor - CURSOR_OVERLAP).astimezone(UTC)
    return f"updated_at:>='{since:%Y-%m-%dT%H:%M:%SZ}'"


def orders_sync_incremental(
    *,
    client: ShopifyClient | None = None,
    shop: Shop | None = None,
    since: datetime | None = None,
    on_page: Callable[[SyncResult], None] | None = None,
) -> SyncResult:
    """Fetch every order changed since the cursor (or `since`) and upsert it. Raises SyncAlreadyRunning."""
    shop = shop or shop_get_or_create_current()
    client = client or client_for(shop)
    if not _claim_lease(shop):
        raise SyncAlreadyRunning(f"a sync of {shop.domain} is already running")
    result = SyncResult(cursor=since or shop.sync_cursor)
    try:
        if not shop.currency:  # never synced: learn the shop's time zone and currency first
            shop = shop_refresh(client=client, shop=shop)
        query = _search_since(result.cursor) if result.cursor else None
        for page in client.iter_order_pages(query=query, sort_key="UPDATED_AT"):
            outcome = orders_upsert(shop=shop, orders=page.orders)
            result.pages += 1
            result.orders += len(page.orders)
            result.created += outcome.created
            result.updated += outcome.updated
            result.skipped_stale += outcome.skipped_stale
            if page.orders:
                newest = max(order.updated_at for order in page.orders)
                result.cursor = max(newest, result.cursor) if result.cursor else newest
            # The page is stored: only now may the cursor move past it. Renew the lease as we go.
            Shop.objects.filter(pk=shop.pk).update(
                sync_cursor=result.cursor, sync_lease_until=timezone.now() + SYNC_LEASE
            )
            if on_page:
                on_page(result)
    except Exception as exc:
        Shop.objects.filter(pk=shop.pk).update(last_sync_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finally:
        Shop.objects.filter(pk=shop.pk).update(sync_lease_until=None, last_sync_finished_at=timezone.now())
    return result


def orders_import_bulk(
    *,
    client: ShopifyClient | None = None,
    shop: Shop | None = None,
    poll_seconds: float = 2.0,
    wait_seconds: float = 6 * 3600,
    on_progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """Import every order through a bulk operation. A bulk query already running (a previous import that
    crashed while waiting) is waited for rather than started again: Shopify runs one at a time anyway."""
    shop = shop or shop_get_or_create_current()
    client = client or client_for(shop)
    started_at = timezone.now()
    operation = bulk_orders_export(
        client=client, poll_seconds=poll_seconds, wait_seconds=wait_seconds, sleep=sleep
    )
    return orders_import_bulk_file(
        shop=shop, operation=operation, started_at=started_at, on_progress=on_progress
    )


def bulk_orders_export(
    *,
    client: ShopifyClient,
    poll_seconds: float = 2.0,
    wait_seconds: float = 6 * 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkOperation:
    """Shopify's part of the full import: start the bulk query (or join the one running) and wait for it."""
    operation = client.current_bulk_operation()
    if operation is None or operation.status not in {"CREATED", "RUNNING"}:
        operation = client.bulk_orders_start()
    deadline = time.monotonic() + wait_seconds
    while not operation.finished:
        if time.monotonic() > deadline:
            raise BulkImportFailed(f"bulk operation {operation.id} did not finish in {wait_seconds:.0f}s")
        sleep(poll_seconds)
        operation = client.bulk_operation(operation.id)
    if operation.status != "COMPLETED":
        raise BulkImportFailed(
            f"bulk operation {operation.id} ended {operation.status} ({operation.error_code})"
        )
    return operation


def orders_import_bulk_file(
    *,
    shop: Shop,
    operation: BulkOperation,
    started_at: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """The portal's part: download the finished operation's JSONL, store it, move the cursor.

    On PostgreSQL the file is COPYed in batches (`services.bulk_ingest`, several times faster); elsewhere
    (SQLite, `make run`) it goes through `orders_upsert` like every other source."""
    result = SyncResult()
    if operation.url:  # no url: the store has no orders
        with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
            path = Path(folder) / "orders.jsonl"
            bulk_jsonl.download(operation.url, path)
            if bulk_ingest_available():
                # Closed at once on a failure: its parser thread and staging tables go with it.
                with closing(orders_ingest_jsonl(shop=shop, path=path)) as batches:
                    for count, outcome in batches:
                        _count_batch(result, count, outcome, operation.root_object_count, on_progress)
            else:
                batch = []
                for row, children in bulk_jsonl.orders_with_children(path):
                    batch.append(graphql_results.order(row, line_items=children))
                    if len(batch) >= BULK_BATCH_SIZE:
                        _store_batch(shop, batch, result, operation.root_object_count, on_progress)
                        batch = []
                if batch:
                    _store_batch(shop, batch, result, operation.root_object_count, on_progress)

    # Orders changed after the bulk query started are the incremental sync's from here on.
    cursor = operation.completed_at and min(started_at, operation.completed_at)
    Shop.objects.filter(pk=shop.pk).update(last_full_import_at=timezone.now())
    Shop.objects.filter(Q(sync_cursor__isnull=True) | Q(sync_cursor__lt=cursor), pk=shop.pk).update(
        sync_cursor=cursor
    )
    result.cursor = cursor
    return result


def _store_batch(shop, batch, result: SyncResult, total: int, on_progress) -> None:
    outcome = orders_upsert(shop=shop, orders=batch)
    _count_batch(result, len(batch), outcome, total, on_progress)


def _count_batch(
    result: SyncResult,
    count: int,
    outcome: UpsertResult,
    total: int,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    result.pages += 1
    result.orders += count
    result.created += outcome.created
    result.updated += outcome.updated
    result.skipped_stale += outcome.skipped_stale
    if on_progress:
        on_progress(result.orders, total)
