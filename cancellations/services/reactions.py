"""Open requests react when the mirror shows their order changed in the store (shipped, cancelled, gone,
or, for a return, perhaps decided in Shopify's admin).

Called from the `order_synced` receiver, inside the mirror's transaction when it has one: every move is a
normal transition (locked, audited), and side effects wait for the commit. Idempotent: a request already
moved is skipped, so a webhook delivered twice changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request, ShopifyMutation
from cancellations.policy import message_for, push_blocker
from cancellations.queue import enqueue_push_on_commit, enqueue_return_follow_on_commit
from cancellations.services.outbox import plan_reopen
from cancellations.services.transitions import Actor, request_move

ORDER_CHANGED = Actor.system("order changed in the store")

_FAILURE_FOR = {
    "cancelled": Request.Failure.CANCELLED_IN_STORE,
    "shipped": Request.Failure.SHIPPED,
    "order_gone": Request.Failure.ORDER_GONE,
}
_SHOPPER_MESSAGE_FOR = {"cancelled": "cancelled_in_store", "shipped": "shipped", "order_gone": "order_gone"}


def _sent_a_call(request: Request) -> bool:
    """A push of this request sent a call that Shopify may have applied (a retried request)."""
    return request.mutations.filter(first_sent_at__isnull=False).exists()


def _blocker(request: Request) -> str | None:
    order = request.order
    if order.deleted_at is not None:
        return "order_gone"
    if request.kind == Request.Kind.RETURN:
        return None  # a return is of a shipped order; Shopify's own checks decide the rest
    return push_blocker(order)


def requests_react_to_orders(*, order_ids: Iterable[int], now: datetime | None = None) -> int:
    """Close or fail open requests whose order can no longer take them; nudge pushes that can finish.

    - submitted, and the order shipped, was cancelled or deleted: rejected by the system, with the
      reason as the message the shopper reads;
    - approved, not yet pushed, same: failed with that reason (a merchant sees it; nothing was sent);
      unless an earlier push of this request sent its mutation (a retried request): then the cancel may
      be ours, and the push, which reads Shopify, decides;
    - pushing with no live worker: its push is queued, so the request completes as soon as Shopify's
      answer (or our own cancel's webhook) shows up;
    - failed because Shopify was unreachable (or slow to confirm) after a cancel of ours went out, and
      the order now shows cancelled: our cancel did land. The request is approved again by the system
      and pushed, and the push (which reads Shopify first) completes it without calling;
    - a return still undecided here, already opened in Shopify: the order changing may be the store
      deciding it in Shopify's admin, so Shopify's returns are read (a task) and the decision followed.
    Returns how many requests moved.
    """
    now = now or timezone.now()
    order_ids = list(order_ids)
    resumed = _resume_failed_pushes_shopify_finished(order_ids=order_ids, now=now)
    moved = len(resumed)
    open_requests = Request.objects.filter(order_id__in=order_ids, state__in=Request.OPEN_STATES).exclude(
        pk__in=resumed
    )
    opened_in_shopify = ShopifyMutation.objects.filter(
        request=OuterRef("pk"),
        operation=ShopifyMutation.Operation.RETURN_REQUEST,
        state=ShopifyMutation.State.CONFIRMED,
    )
    open_requests = open_requests.annotate(opened_in_shopify=Exists(opened_in_shopify))
    for request in open_requests.select_related("order").order_by("pk"):
        blocker = _blocker(request)
        if blocker is None and request.state == Request.State.SUBMITTED and request.opened_in_shopify:
            enqueue_return_follow_on_commit(request.pk)
            continue
        if request.state == Request.State.PUSHING:
            if request.lease_expires_at is None or request.lease_expires_at < now:
                enqueue_push_on_commit(request.pk)
            continue
        if blocker is None:
            continue
        if request.state == Request.State.APPROVED and _sent_a_call(request):
            enqueue_push_on_commit(request.pk)
            continue
        with translation.override(request.language):
            message = str(message_for(_SHOPPER_MESSAGE_FOR[blocker]))
        try:
            if request.state == Request.State.SUBMITTED:
                request_move(
                    request.pk,
                    to=Request.State.REJECTED,
                    actor=ORDER_CHANGED,
                    now=now,
                    detail={"reason": blocker},
                    decision_message=message,
                    decided_at=now,
                )
            else:
                request_move(
                    request.pk,
                    to=Request.State.FAILED,
                    actor=ORDER_CHANGED,
                    now=now,
                    detail={"failure": _FAILURE_FOR[blocker]},
                    failure_code=_FAILURE_FOR[blocker],
                    last_error=f"before the push: {blocker}",
                )
        except RequestNotAllowed:
            continue  # moved by someone else since we read it
        moved += 1
    return moved


_UNCERTAIN_FAILURES = (Request.Failure.SHOPIFY_UNAVAILABLE, Request.Failure.NOT_CONFIRMED)


def _resume_failed_pushes_shopify_finished(*, order_ids: list[int], now: datetime) -> list[int]:
    resumed = []
    candidates = Request.objects.filter(
        order_id__in=order_ids,
        kind=Request.Kind.CANCEL,
        state=Request.State.FAILED,
        failure_code__in=_UNCERTAIN_FAILURES,
        mutations__operation=ShopifyMutation.Operation.ORDER_CANCEL,
        mutations__first_sent_at__isnull=False,
        order__cancelled_at__isnull=False,
    ).distinct()
    for request_id in candidates.order_by("pk").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                request = request_move(
                    request_id,
                    to=Request.State.APPROVED,
                    actor=ORDER_CHANGED,
                    now=now,
                    detail={"resumed": "the order shows cancelled after our call"},
                    notify=False,
                    expect=(Request.State.FAILED,),
                    attempts=0,
                    transient_errors=0,
                    failure_code="",
                    due_at=now,
                )
                plan_reopen(request=request, now=now)
        except RequestNotAllowed:
            continue  # retried already, or another request of the kind is open
        enqueue_push_on_commit(request_id)
        resumed.append(request_id)
    return resumed
