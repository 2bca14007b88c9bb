"""Writing a request's plan into the outbox, and opening failed calls again for a retry."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from cancellations.models import Request, ShopifyMutation, idempotency_key_for
from cancellations.mutations import plan_for


def request_plan(*, request: Request) -> list[ShopifyMutation]:
    """Write the calls `request` makes in its new state, in order, after the calls it already has; returns
    the rows written. Called inside the transaction that moved the request (the approval, or a return's
    submit or rejection), so a request is never decided without its plan (nor a plan left behind by a
    decision that rolled back).

    A plan only grows: a call already planned is kept as it is (a return's `returnRequest`, planned at
    submit, is not planned again by the approval). A planned call the new state no longer wants is dropped
    if it never left (a return rejected before its request went out); one that did stays, for the push to
    settle by reading Shopify.
    """
    calls = plan_for(request)
    existing = list(request.mutations.all())
    wanted = {call.operation for call in calls}
    unsent = [
        row.pk
        for row in existing
        if row.operation not in wanted
        and row.state == ShopifyMutation.State.PLANNED
        and row.first_sent_at is None
    ]
    if unsent:
        ShopifyMutation.objects.filter(pk__in=unsent, first_sent_at__isnull=True).delete()
    planned = {row.operation for row in existing}
    last = max((row.position for row in existing), default=0)
    rows = []
    for call in calls:
        if call.operation in planned:
            continue
        last += 1
        rows.append(
            ShopifyMutation(
                request=request,
                position=last,
                operation=call.operation,
                variables=call.variables,
                idempotency_key=idempotency_key_for(request_id=request.pk, position=last, attempt=1),
            )
        )
    return ShopifyMutation.objects.bulk_create(rows)


def plan_reopen(*, request: Request, now: datetime) -> int:
    """Failed calls of `request` are planned again as a new attempt with a new idempotency key: Shopify
    must treat the retry as new (a key whose earlier use failed is refused). What the earlier attempts
    sent stays (`first_sent_at`, the last send's times), so the push still reads Shopify before deciding
    whether a call of ours landed after all."""
    failed = list(request.mutations.filter(state=ShopifyMutation.State.FAILED).order_by("position"))
    for mutation in failed:
        attempt = mutation.attempt + 1
        ShopifyMutation.objects.filter(pk=mutation.pk).update(
            state=ShopifyMutation.State.PLANNED,
            attempt=F("attempt") + 1,
            idempotency_key=idempotency_key_for(
                request_id=request.pk, position=mutation.position, attempt=attempt
            ),
            error="",
            updated_at=now,
        )
    return len(failed)
