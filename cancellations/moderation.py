"""Reads of the merchant console's moderation screens: the queue with everything its columns show, the
count waiting, the requests a decision page acts on. Writes go through `cancellations.services`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from cancellations.models import CancelReason, Request
from shopify_sync.selectors import scoped_to_staff

WAITING_STATES = (Request.State.SUBMITTED, Request.State.FAILED)


def moderation_queue() -> QuerySet[Request]:
    """Every request, with what the queue's columns need in the same query: the order, its shop and the
    shop's policy (for the window), the reason's labels, and the queue rank.

    Rank 0: waiting for a decision; 1: failed, waiting for a retry; 2: the rest. Within the waiting ranks
    `waiting_since` orders oldest first; it is null for the rest, which come newest first.
    """
    reason = CancelReason.objects.filter(
        policy__shop_id=OuterRef("order__shop_id"), code=OuterRef("reason_code")
    )
    return Request.objects.select_related(
        "order", "order__shop", "order__shop__cancellation_policy", "decided_by"
    ).annotate(
        reason_label_en=Subquery(reason.values("label_en")[:1]),
        reason_label_ko=Subquery(reason.values("label_ko")[:1]),
        queue_rank=Case(
            When(state=Request.State.SUBMITTED, then=Value(0)),
            When(state=Request.State.FAILED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        waiting_since=Case(When(state__in=WAITING_STATES, then=F("created_at")), default=None),
    )


QUEUE_ORDERING = [
    F("queue_rank").asc(),
    F("waiting_since").asc(nulls_last=True),
    F("created_at").desc(),
]


def waiting_counts() -> dict[str, int]:
    """How many requests wait for a decision, and how many failed pushes wait for a retry (one query)."""
    return Request.objects.aggregate(
        submitted=Count("pk", filter=Q(state=Request.State.SUBMITTED)),
        failed=Count("pk", filter=Q(state=Request.State.FAILED)),
    )


def requests_for_decision(ids: Iterable[int | str], *, staff) -> list[Request]:
    """The requests a decision page shows and acts on, in primary-key order (the services lock each): of
    those asked for, the ones of the stores `staff` may see."""
    clean = sorted({int(pk) for pk in ids if str(pk).isdigit()})
    requests = Request.objects.filter(pk__in=clean).select_related("order", "order__shop").order_by("pk")
    return list(scoped_to_staff(requests, staff, "order__shop"))


def reason_choices() -> list[tuple[str, str, str]]:
    """(code, English label, Korean label) of every reason any policy offers or offered, once per code."""
    seen: dict[str, tuple[str, str, str]] = {}
    for code, label_en, label_ko in CancelReason.objects.order_by("policy_id", "position", "pk").values_list(
        "code", "label_en", "label_ko"
    ):
        seen.setdefault(code, (code, label_en, label_ko))
    return list(seen.values())
