"""From a shopper's submit to the order being cancelled in the store, with auto-approve and a real worker
(a `celery worker` process on Redis) pushing to the devstore: median and p95 over sequential requests.

The devstore finishes an `orderCancel` job after 0.3 s, as Shopify's asynchronous job does after a moment;
that delay is part of what a shopper waits for and is included."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model

from bench import database
from bench.figures import Figure
from cancellations.models import Request
from cancellations.services import request_submit
from devstore.testing import start_devstore
from shopify_sync import sync
from shopify_sync.models import Order

REQUESTS = 40
SHOPPER = "bench-shopper@example.com"
ROOT = Path(__file__).resolve().parent.parent


def _worker(store) -> subprocess.Popen:
    env = {
        **os.environ,
        "SHOPIFY_API_BASE_URL": store.base_url,
        "SHOPIFY_ACCESS_TOKEN": store.token,
        "SHOPIFY_SHOP_DOMAIN": settings.SHOPIFY_SHOP_DOMAIN,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--concurrency=2",
        "--loglevel=WARNING",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait(predicate, timeout: float = 60.0, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("the order was not cancelled in time")
        time.sleep(interval)
    return value


def run() -> list[Figure]:
    database.fresh_database()
    with start_devstore(seed=0) as store:
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = store.token
        settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
        created = [store.create_order(email=SHOPPER) for _ in range(REQUESTS)]
        sync.orders_sync_incremental()
        user = get_user_model().objects.create_user(username=SHOPPER, email=SHOPPER)
        EmailAddress.objects.create(user=user, email=SHOPPER, verified=True, primary=True)
        worker = _worker(store)
        try:
            seconds = []
            for order_ref in created:
                order = Order.objects.get(legacy_id=order_ref["legacy_id"])
                started = time.perf_counter()
                request = request_submit(
                    order=order, shopper=user, kind="cancel", reason_code="changed_my_mind"
                )
                _wait(lambda ref=order_ref: store.order(ref["legacy_id"])["cancelled_at"])
                seconds.append(time.perf_counter() - started)
                _wait(lambda r=request: Request.objects.get(pk=r.pk).state == Request.State.COMPLETED)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        applied = [c for c in store.calls() if c["operation"] == "orderCancel" and c["outcome"] == "ok"]
    assert len(applied) == REQUESTS, f"{len(applied)} cancels applied for {REQUESTS} requests"
    p95 = statistics.quantiles(seconds, n=20)[-1]
    note = f"{REQUESTS} sequential requests; includes the store's 0.3 s asynchronous cancel job"
    return [
        Figure("submit_to_cancelled_median", round(statistics.median(seconds) * 1000, 1), "ms", note=note),
        Figure("submit_to_cancelled_p95", round(p95 * 1000, 1), "ms", note=note),
    ]
