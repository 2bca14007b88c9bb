"""Celery tasks: thin. Each takes primary keys, calls one service, and retries only what is transient."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from cancellations.notifications import request_event_notify
from cancellations.queue import (
    PUSH_PRIORITY,
    enqueue_hold_from_sweep,
    enqueue_hold_release_from_sweep,
)
from cancellations.services import holds
from cancellations.services.offers import bonuses_issue
from cancellations.services.push import request_push
from cancellations.services.returns import return_follow_shopify
from cancellations.services.sweep import requests_sweep
from cancellations.services.withdrawals import withdrawal_acknowledge, withdrawal_acknowledgements_requeue
from shopify_sync.enqueue import AHEAD_OF_THE_REST
from shopify_sync.errors import ShopifyTransientError


@shared_task(bind=True, acks_late=True, ignore_result=True, priority=PUSH_PRIORITY)
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


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8, priority=AHEAD_OF_THE_REST)
def acknowledge_withdrawal(self, withdrawal_id: int) -> bool:
    try:
        return withdrawal_acknowledge(withdrawal_id=withdrawal_id)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


# The sweeps run ahead of the rest too: after a broker outage they must re-queue the pushes, holds and
# acknowledgements it refused, not wait behind the webhooks and e-mails it held up.
@shared_task(ignore_result=True, priority=AHEAD_OF_THE_REST)
def sweep_requests() -> dict[str, int]:
    result = requests_sweep()
    withdrawal_acknowledgements_requeue()
    return {
        "pushes_queued": result.pushes_queued,
        "emails_queued": result.emails_queued,
        "returns_checked": result.returns_checked,
    }


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8, priority=AHEAD_OF_THE_REST)
def follow_return(self, request_id: int) -> str:
    """Read a shopper's undecided return in Shopify and follow the store's decision made there. What still
    fails after the retries, the sweeper's next look at the return catches."""
    try:
        return return_follow_shopify(request_id=request_id)
    except ShopifyTransientError as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600)) from exc


# -- fulfilment holds (`services.holds`) ---------------------------------------------------------------

_HOLD_RETRIES = {"max_retries": 8}


@shared_task(bind=True, acks_late=True, ignore_result=True, priority=AHEAD_OF_THE_REST)
def hold_fulfilment(self, order_id: int) -> int:
    try:
        return holds.holds_place(order_id=order_id)
    except ShopifyTransientError as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600), **_HOLD_RETRIES) from exc


@shared_task(bind=True, acks_late=True, ignore_result=True, priority=AHEAD_OF_THE_REST)
def release_fulfilment_holds(self, order_id: int, because: str) -> int:
    try:
        return holds.holds_release(order_id=order_id, because=because)
    except ShopifyTransientError as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600), **_HOLD_RETRIES) from exc


@shared_task(bind=True, acks_late=True, ignore_result=True, priority=AHEAD_OF_THE_REST)
def release_holds_after_request(self, request_id: int) -> None:
    try:
        holds.holds_after_request(request_id=request_id)
    except ShopifyTransientError as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600), **_HOLD_RETRIES) from exc


@shared_task(ignore_result=True, priority=AHEAD_OF_THE_REST)
def sweep_fulfilment_holds() -> dict[str, int]:
    """Every minute: release the holds whose windows are over; place the ones a lost task never did;
    issue the bonuses left waiting. Unlike the other sweeps it does not wait for a backlog to clear: its
    tasks go ahead of it (priority), and each order's is queued once per HOLD_SWEEP_REQUEUE_SECONDS."""
    now = timezone.now()
    releases = sum(
        enqueue_hold_release_from_sweep(order_id, "the self-service window closed")
        for order_id in holds.holds_due(now)
    )
    placed = sum(enqueue_hold_from_sweep(order_id) for order_id in holds.orders_to_hold(None, now=now))
    # Bonuses of shipped orders the mirror's receiver did not issue (the policy's offer since turned off).
    bonuses = bonuses_issue(order_ids=None)
    return {"releases_queued": releases, "holds_queued": placed, "bonuses_issued": bonuses}
