"""Webhook intake under load: signed `orders/updated` deliveries, each with its own webhook id, posted by
wrk at gunicorn (2 workers); requests per second and p99 against a bare view. Shopify gives up after 5 s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tempfile

import redis
from django.conf import settings

from bench import database, server
from bench.figures import Figure
from bench.load import wrk
from shopify_sync.models import WebhookDelivery
from shopify_sync.tests.factories import rest_order

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
  headers["X-Shopify-Webhook-Id"] = "bench-" .. tid .. "-" .. counter
  headers["X-Shopify-Triggered-At"] = "2026-07-01T00:00:00Z"
  return wrk.format("POST", "/shopify/webhooks/", headers, body)
end
"""


def run() -> list[Figure]:
    database.fresh_database()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    body = json.dumps(rest_order(), separators=(",", ":"))
    signature = base64.b64encode(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    lua = LUA % {"body": body, "hmac": signature, "shop": settings.SHOPIFY_SHOP_DOMAIN}

    with tempfile.TemporaryDirectory() as static_root:
        env = server.production_env(STATIC_ROOT=static_root, SHOPIFY_API_SECRET=SECRET)
        with server.gunicorn(env) as base:
            wrk(f"{base}/bench/bare", seconds=2)
            bare = wrk(f"{base}/bench/bare")
            intake = wrk(base, lua=lua)
    stored = WebhookDelivery.objects.count()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the queued processing tasks: no worker ran them
    assert intake.non_2xx == 0, f"{intake.non_2xx} deliveries refused"
    return [
        Figure(
            "webhook_intake_requests_per_second",
            round(intake.requests_per_second, 1),
            "req/s",
            limit=round(bare.requests_per_second, 1),
            ratio=round(intake.requests_per_second / bare.requests_per_second, 3),
            note=f"ratio to the bare view (target >= 0.5); {stored} deliveries stored and queued",
        ),
        Figure(
            "webhook_intake_p99",
            round(intake.p99_ms, 2),
            "ms",
            limit=SHOPIFY_TIMEOUT_MS,
            ratio=round(intake.p99_ms / bare.p99_ms, 3),
            note=f"limit: Shopify's 5 s; ratio: times the bare view's p99 ({bare.p99_ms:.2f} ms)",
        ),
    ]
