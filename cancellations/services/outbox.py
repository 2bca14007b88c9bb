"""Writing a request's plan into the outbox, and opening failed calls again for a retry."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from cancellations.models import Request, ShopifyMutation, idempotency_key_for
from cancellations.mutations import plan_for


def request_plan(*, request: Request) -> list[ShopifyMutation]:
    """Write the calls an approved request makes, in order. Called inside the approval's transaction, so a
    request is never approved without its plan (nor a plan left behind by an approval that rolled back)."""
    rows = [
        ShopifyMutation(
            request=request,
            position=position,
            operation=call.operation,
            variables=call.variables,
            idempotency_key=idempotency_key_for(request_id=request.pk, position=position, attempt=1),
        )
        for position, call in enumerate(plan_for(request), start=1)
    ]
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
