"""Full import through a bulk operation into PostgreSQL: orders per second and peak memory, at two store
sizes so that "flat as the count grows" can be read off. Each import runs in its own process so its peak
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
ROOT = Path(__file__).resolve().parent.parent


def child(orders: int) -> None:
    """In a fresh process: start a devstore with `orders` orders, import them all, print the numbers."""
    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory: not what production does
    from devstore.testing import start_devstore
    from shopify_sync import sync
    from shopify_sync.client import ShopifyClient
    from shopify_sync.models import Order

    with start_devstore(seed=orders, restore_rate=1000, extra_args=["--bulk-delay", "0"]) as store:
        client = ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = sync.orders_import_bulk(client=client, poll_seconds=0.5)
        elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert Order.objects.count() == orders == result.orders
    print(
        json.dumps(
            {"orders": orders, "seconds": elapsed, "peak_mib": peak_kib / 1024, "start_mib": before / 1024}
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
                note=f"{numbers['seconds']:.1f} s including Shopify's export time (devstore)",
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
