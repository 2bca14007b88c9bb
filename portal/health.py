"""Liveness of what the portal depends on, for `/healthz` and for operators."""

from __future__ import annotations

import hmac

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from portal.celery import app as celery_app
from shopify_sync.connection_checks import Check, connection_checks
from shopify_sync.services.shops import shop_get_or_create_current


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the class name says which kind
        return f"down ({type(exc).__name__})"
    return "ok"


def deep_allowed(request: HttpRequest) -> bool:
    """Staff, or a monitor presenting `HEALTHZ_TOKEN` as a bearer token (compared in constant time)."""
    if request.user.is_authenticated and request.user.is_staff:
        return True
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    expected = settings.HEALTHZ_TOKEN
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(presented, expected)


def shopify_checks() -> list[Check]:
    try:
        return connection_checks(shop_get_or_create_current())
    except Exception as exc:  # a broken connection is a health answer, not a 500
        return [Check("connection", "fail", f"{type(exc).__name__}")]


def redis_status() -> str | None:
    """Redis (cache, intake buffer, broker) answering a PING within half a second; None without Redis."""
    if not settings.REDIS_URL:
        return None
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


def broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # the broker client raises many kinds; all mean "down"
        return f"down ({type(exc).__name__})"
    return "ok"
