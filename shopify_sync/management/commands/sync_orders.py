"""`manage.py sync_orders [--full] [--since ISO-8601]`: bring the order mirror up to date with Shopify."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from shopify_sync import sync
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyError


class Command(BaseCommand):
    help = (
        "Fetch orders changed since the last sync (default), or import every order through a bulk "
        "operation (--full: the first import, or a large store)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="import every order with a bulk operation")
        parser.add_argument("--since", help="fetch orders updated at or after this ISO-8601 time instead")

    def handle(self, *args, full: bool, since: str | None, **options) -> None:
        if full and since:
            raise CommandError("--full imports everything; it takes no --since.")
        since_at = _parse_since(since) if since else None
        client = client_for()
        try:
            shop = sync.shop_refresh(client=client)
            result = self._full(client, shop) if full else self._incremental(client, shop, since_at)
        except sync.SyncAlreadyRunning as exc:
            raise CommandError(f"{exc}; try again when it has finished.") from None
        except ShopifyError as exc:
            raise CommandError(f"Shopify: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.orders} orders synced ({result.created} new, {result.updated} updated, "
                f"{result.skipped_stale} older than what we had); cursor {result.cursor or 'unset'}"
            )
        )

    def _incremental(self, client, shop, since_at):
        with tqdm(desc="orders", unit=" orders", disable=None) as bar:
            seen = 0

            def on_page(result: sync.SyncResult) -> None:
                nonlocal seen
                bar.update(result.orders - seen)
                seen = result.orders

            return sync.orders_sync_incremental(client=client, shop=shop, since=since_at, on_page=on_page)

    def _full(self, client, shop):
        self.stdout.write("Waiting for Shopify to prepare the bulk export…")
        with tqdm(desc="orders", unit=" orders", disable=None) as bar:

            def on_progress(done: int, total: int) -> None:
                bar.total = max(total, done)
                bar.n = done
                bar.refresh()

            return sync.orders_import_bulk(client=client, shop=shop, on_progress=on_progress)


def _parse_since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--since {value!r} is not an ISO-8601 time, e.g. 2026-07-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise CommandError("--since needs a time zone, e.g. 2026-07-01T00:00:00Z or +09:00")
    return parsed
