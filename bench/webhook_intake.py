"""Webhook intake under load: signed `orders/updated` deliveries, each with its own webhook id, posted by
wrk at gunicorn (2 workers); requests per second and p99 against a bare view. Shopify gives up after 5 s.

The bare view is sent the very same requests (method, headers, 1.8 kB body, one wrk script), so the
ratio is what the intake adds on the server, not the load generator's per-request script or the body's
trip through gunicorn; a bare GET is measured too and reported beside it. Every run has webhook ids of
its own, so no delivery is a repeat. The intake is the production one with Redis: order webhooks are
answered once they are in the Redis stream. No worker runs during the load; afterwards the benchmark
drains the stream itself, checks that every accepted delivery is a row in PostgreSQL and reports how
fast the drain stores them. Then the same load on the database intake (`WEBHOOK_INTAKE=database`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tempfile
import time

import redis
from django.conf import settings

from bench import database, server
from bench.figures import Figure
from bench.load import wrk
from shopify_sync.models import WebhookDelivery
from shopify_sync.services.webhooks import webhook_intake_drain
from shopify_sync.tests.factories import rest_order
from shopify_sync.webhooks import intake

SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway key for this local benchmark
SHOPIFY_TIMEOUT_MS = 5000

LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
counter = 0
body = [==[%(body)s]==]
function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Shopify-Topic"] = "orders/updated"
  headers["X-Shopify-Hmac-Sha256"] = "%(hmac)s"
  headers["X-Shopify-Shop-Domain"] = "%(shop)s"
  headers["X-Shopify-API-Version"] = "2026-07"
  headers["X-Shopify-Webhook-Id"] = "%(run)s-" .. tid .. "-" .. counter
  headers["X-Shopify-Triggered-At"] = "2026-07-01T00:00:00Z"
  return wrk.format("POST", "%(path)s", headers, body)
end
"""


def run() -> list[Figure]:
    database.fresh_database()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    body = json.dumps(rest_order(), separators=(",", ":"))
    signature = base64.b64encode(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    script = {"body": body, "hmac": signature, "shop": settings.SHOPIFY_SHOP_DOMAIN}

    with tempfile.TemporaryDirectory() as static_root:
        env = server.production_env(STATIC_ROOT=static_root, SHOPIFY_API_SECRET=SECRET)
        with server.gunicorn(env) as base:
            wrk(f"{base}/bench/bare", seconds=2)
            bare_get = wrk(f"{base}/bench/bare")
            bare = wrk(base, lua=LUA % {**script, "path": "/bench/bare", "run": "bare"})
            load = wrk(base, lua=LUA % {**script, "path": "/shopify/webhooks/", "run": "redis"})
    assert load.non_2xx == 0, f"{load.non_2xx} deliveries refused"

    buffered = intake.backlog()
    started = time.perf_counter()
    stored = webhook_intake_drain(consumer="bench", on_stored=lambda ids: None, batch_size=500)
    drain_seconds = time.perf_counter() - started
    rows = WebhookDelivery.objects.count()
    # wrk counts the requests answered before it stopped; the (at most 8) still in flight then were
    # answered too, so they are stored as well.
    assert rows == stored and load.requests <= rows <= load.requests + 8, (
        f"{load.requests} answered, {rows} stored"
    )
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the drain task the deliveries queued: no worker here

    # The same load on the intake without the buffer: each delivery committed to PostgreSQL and its
    # processing task published before the answer (`WEBHOOK_INTAKE=database`, as without Redis).
    with tempfile.TemporaryDirectory() as static_root:
        env = server.production_env(
            STATIC_ROOT=static_root, SHOPIFY_API_SECRET=SECRET, WEBHOOK_INTAKE="database"
        )
        with server.gunicorn(env) as base:
            wrk(base, lua=LUA % {**script, "path": "/shopify/webhooks/", "run": "warm-up"}, seconds=2)
            direct = wrk(base, lua=LUA % {**script, "path": "/shopify/webhooks/", "run": "database"})
    assert direct.non_2xx == 0, f"{direct.non_2xx} deliveries refused"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    return [
        Figure(
            "webhook_intake_requests_per_second",
            round(load.requests_per_second, 1),
            "req/s",
            limit=round(bare.requests_per_second, 1),
            ratio=round(load.requests_per_second / bare.requests_per_second, 3),
            note=(
                "ratio to the bare view sent the same signed POSTs (target >= 0.5); "
                f"to a bare GET ({bare_get.requests_per_second:.0f} req/s): "
                f"{load.requests_per_second / bare_get.requests_per_second:.3f}"
            ),
        ),
        Figure(
            "webhook_intake_p99",
            round(load.p99_ms, 2),
            "ms",
            limit=SHOPIFY_TIMEOUT_MS,
            ratio=round(load.p99_ms / bare.p99_ms, 3),
            note=f"limit: Shopify's 5 s; ratio: times the bare view's p99 ({bare.p99_ms:.2f} ms)",
        ),
        Figure(
            "webhook_intake_database_requests_per_second",
            round(direct.requests_per_second, 1),
            "req/s",
            limit=round(bare.requests_per_second, 1),
            ratio=round(direct.requests_per_second / bare.requests_per_second, 3),
            note=f"WEBHOOK_INTAKE=database: each delivery committed first; p99 {direct.p99_ms:.1f} ms",
        ),
        Figure(
            "webhook_intake_drain_per_second",
            round(stored / drain_seconds, 1),
            "deliveries/s",
            note=(
                f"{buffered} deliveries drained from Redis into PostgreSQL in {drain_seconds:.1f} s; "
                f"{rows} rows for the {load.requests} answered 200 while wrk counted"
            ),
        ),
    ]
