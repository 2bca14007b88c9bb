"""Tasks of the project package itself."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer 'pong': proves a worker is consuming from the broker (health checks and tests)."""
    return "pong"
