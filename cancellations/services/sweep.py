"""The sweeper (beat, every minute): what no worker finished goes back on the queue.

A push queued on commit can be lost: the broker was down at approval, a worker was killed, a retry was
never queued. So can a notification e-mail. Both leave their row in the database, which is what this
reads. And a webhook saying a merchant decided a return in Shopify's admin can be lost: undecided returns
are read from Shopify again every few minutes (`services.returns.returns_due_for_check`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cancellations import conf
from cancellations.models import Request, RequestEvent, ShopifyMutation
from cancellations.queue import PUSH_PRIORITY, enqueue_notification, enqueue_push, enqueue_return_follow
from cancellations.services.returns import returns_due_for_check
from shopify_sync.enqueue import broker_has_backlog

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepResult:
    pushes_queued: int
    emails_queued: int
    returns_checked: int = 0


def requests_sweep(*, now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Re-queue what no worker finished: approved or pushing requests overdue by the grace period whose
    lease is free or expired (broker down at approval, worker killed, a retry that never got queued), and
    likewise submitted or rejected ones with calls to push in place (a return's request or decline);
    e-mails whose event committed but were never sent; and a look at Shopify for undecided returns due
    one. Each re-queued request's due time moves on, so a slow queue is not flooded with copies. While the
    broker holds a backlog, it waits for the next run: what it would re-queue is most likely queued already
    (`shopify_sync.enqueue.broker_has_backlog`). Pushes go ahead of every other task, so for them only a
    backlog of pushes counts: after a broker outage the webhooks and e-mails it held up fill the queue,
    and the pushes refused meanwhile must not wait behind them too."""
    now = now or timezone.now()
    pushes = 0 if broker_has_backlog(up_to_priority=PUSH_PRIORITY) else _pushes_requeue(now, limit)
    if broker_has_backlog():
        return SweepResult(pushes_queued=pushes, emails_queued=0)
    unsent = list(
        RequestEvent.objects.filter(
            notify=True,
            notified_at__isnull=True,
            at__lt=now - timedelta(seconds=conf.notification_grace_seconds()),
        )
        .order_by("at")
        .values_list("pk", flat=True)[:limit]
    )
    emails = sum(1 for event_id in unsent if enqueue_notification(event_id))
    next_check = now + timedelta(seconds=conf.return_check_seconds())
    checks = 0
    for request_id in returns_due_for_check(now=now, limit=limit):
        if enqueue_return_follow(request_id):
            Request.objects.filter(pk=request_id, state=Request.State.SUBMITTED).update(due_at=next_check)
            checks += 1
    if pushes or emails or checks:
        logger.info(
            "sweeper re-queued %d pushes and %d e-mails, and looks at %d returns", pushes, emails, checks
        )
    return SweepResult(pushes_queued=pushes, emails_queued=emails, returns_checked=checks)


def _pushes_requeue(now: datetime, limit: int) -> int:
    """Approved or pushing requests overdue by the grace period, with a free or expired lease (and those
    with calls to push in place), back on the queue; each one's due time moves on."""
    overdue = now - timedelta(seconds=conf.sweep_grace_seconds())
    unsettled = ShopifyMutation.objects.filter(
        request=OuterRef("pk"), state__in=ShopifyMutation.UNSETTLED_STATES
    )
    pushable = Q(state__in=[Request.State.APPROVED, Request.State.PUSHING]) | (
        Q(state__in=Request.PUSHED_IN_PLACE) & Q(Exists(unsettled))
    )
    due = list(
        Request.objects.filter(pushable, due_at__lt=overdue)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    pushes = 0
    for request_id in due:
        if enqueue_push(request_id):
            Request.objects.filter(pk=request_id, due_at__lt=overdue).update(due_at=now)
            pushes += 1
    return pushes
