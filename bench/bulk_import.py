"""Full import through a bulk operation into PostgreSQL: orders per second end to end and for the portal's
part alone (download, parse, store), the devstore's export time, and peak memory, at two store sizes so
that "flat as the count grows" can be read off. Each import runs in its own process so its peak
resident memory is its own."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import database
from bench.figures import Figure

SIZES = (10_000, 50_000)
INGEST_GOAL = 5000  # orders/s stored once Shopify's file is ready (issue #20)
ROOT = Path(__file__).resolve().parent.parent


def child(orders: int) -> None:
    """In a fresh process: start a devstore with `orders` orders, import them all, print the numbers: the
    whole import, and apart its two parts, Shopify's export (the devstore's) and ours (download, parse and
    store), which is what the portal's code decides."""
    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory: not what production does
    from django.utils import timezone

    from devstore.testing import start_devstore
    from shopify_sync import sync
    from shopify_sync.client import ShopifyClient
    from shopify_sync.models import Order
    from shopify_sync.services.shops import shop_get_or_create_current

    with start_devstore(seed=orders, restore_rate=1000, extra_args=["--bulk-delay", "0"]) as store:
        client = ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")
        shop = shop_get_or_create_current()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started_at = timezone.now()
        started = time.perf_counter()
        # `sync.orders_import_bulk` is these two calls; apart, each part has its own clock.
        operation = sync.bulk_orders_export(client=client, poll_seconds=0.1)
        exported = time.perf_counter()
        result = sync.orders_import_bulk_file(shop=shop, operation=operation, started_at=started_at)
        finished = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert Order.objects.count() == orders == result.orders
    print(
        json.dumps(
            {
                "orders": orders,
                "seconds": finished - started,
                "export_seconds": exported - started,
                "ingest_seconds": finished - exported,
                "peak_mib": peak_kib / 1024,
                "start_mib": before / 1024,
            }
        )
    )


def run() -> list[Figure]:
    figures = []
    for orders in SIZES:
        database.fresh_database()
        output = subprocess.run(
            [sys.executable, "-m", "bench.bulk_import", str(orders)],
            cwd=ROOT,
            env=os.environ,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        numbers = json.loads(output.strip().splitlines()[-1])
        figures += [
            Figure(
                f"bulk_import_{orders}_orders_per_second",
                round(numbers["orders"] / numbers["seconds"], 1),
                "orders/s",
                note=f"{numbers['seconds']:.1f} s end to end, Shopify's export (devstore) included",
            ),
            Figure(
                f"bulk_ingest_{orders}_orders_per_second",
                round(numbers["orders"] / numbers["ingest_seconds"], 1),
                "orders/s",
                limit=INGEST_GOAL,
                ratio=round(numbers["orders"] / numbers["ingest_seconds"] / INGEST_GOAL, 3),
                note=(
                    f"{numbers['ingest_seconds']:.1f} s: download + parse + store only "
                    f"(goal ≥ {INGEST_GOAL:,} orders/s)"
                ),
            ),
            Figure(
                f"bulk_export_{orders}_orders_seconds",
                round(numbers["export_seconds"], 2),
                "s",
                note="the devstore's export (Shopify's part), polled every 0.1 s",
            ),
            Figure(f"bulk_import_{orders}_orders_peak_memory", round(numbers["peak_mib"], 1), "MiB"),
        ]
    small, large = (f for f in figures if f.metric.endswith("peak_memory"))
    figures.append(
        Figure(
            "bulk_import_peak_memory_growth",
            round(large.value / small.value, 3),
            "ratio",
            limit=1.2,
            ratio=round(large.value / small.value, 3),
            note=f"peak memory at {SIZES[1]} orders over peak at {SIZES[0]}: flat is 1.0",
        )
    )
    return figures


if __name__ == "__main__":
    import django

    database.configure_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "true")
    django.setup()
    child(int(sys.argv[1]))
