"""Celery tasks: thin. Each takes primary keys, calls one service, and retries only what is transient."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from cancellations.notifications import request_event_notify
from cancellations.services.push import request_push
from cancellations.services.sweep import requests_sweep


@shared_task(bind=True, acks_late=True, ignore_result=True, priority=0)  # ahead of the rest: see settings
def push_request(self, request_id: int) -> str:
    """One push attempt; when it asks for another (backoff, a job still running), schedule it. If the
    broker refuses the retry, the request's `due_at` is set and the sweeper sends it later."""
    try:
        outcome = request_push(request_id=request_id)
    except OperationalError as exc:
        # The database blinked (a failover, a lock timeout): the push is safe to run again from the top.
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 300), max_retries=10) from exc
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.state


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=8,
)
def send_request_event_emails(self, event_id: int) -> int:
    try:
        return request_event_notify(event_id=event_id)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


@shared_task(ignore_result=True)
def sweep_requests() -> dict[str, int]:
    result = requests_sweep()
    return {"pushes_queued": result.pushes_queued, "emails_queued": result.emails_queued}
