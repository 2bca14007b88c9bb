"""Liveness of what the portal depends on, for `/healthz` and for operators."""

from __future__ import annotations

from django.db import connection

from portal.celery import app as celery_app


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the class name says which kind
        return f"down ({type(exc).__name__})"
    return "ok"


def broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # the broker client raises many kinds; all mean "down"
        return f"down ({type(exc).__name__})"
    return "ok"
