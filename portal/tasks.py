"""Tasks of the project package itself."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer 'pong': proves a worker is consuming from the broker (health checks and tests)."""
    return "pong"


@shared_task(ignore_result=True)
def prune_order_access_codes() -> int:
    """Lookup codes a day past their expiry (the beat, hourly)."""
    from portal.order_access import access_codes_prune

    return access_codes_prune()
