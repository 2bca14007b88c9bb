"""What requests hold on a shopper, for Shopify's privacy webhooks (answered by shopify_sync's signals)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from cancellations.models import REDACTED, Request, RequestEvent, ShopifyMutation
from shopify_sync.models import Shop


def _shopper_requests(*, shop: Shop, email: str, order_ids: list[int]) -> QuerySet[Request]:
    match = Q(order_id__in=order_ids)
    if email:
        match |= Q(shopper_email=email.strip().lower())
    return Request.objects.filter(order__shop=shop).filter(match)


def requests_redact_shopper(*, shop: Shop, email: str, order_ids: list[int]) -> int:
    """Blank the shopper's personal data on their requests: e-mail, free text, addresses, the audit
    details and the Shopify calls that copied them (a settled request's calls; an open one still needs
    its calls, and Shopify holds what they send anyway). States, dates, decisions and amounts stay (the
    store's records)."""
    with transaction.atomic():
        requests = _shopper_requests(shop=shop, email=email, order_ids=order_ids)
        ids = list(requests.values_list("pk", flat=True))
        Request.objects.filter(pk__in=ids).update(
            shopper_email="", reason_text="", decision_message="", previous_address=None
        )
        Request.objects.filter(pk__in=ids, requested_address__isnull=False).update(requested_address={})
        RequestEvent.objects.filter(request_id__in=ids).update(detail={"redacted": True})
        ShopifyMutation.objects.filter(request_id__in=ids).exclude(
            request__state__in=Request.OPEN_STATES
        ).update(variables={REDACTED: True}, answer={})
    return len(ids)


def requests_data_for_shopper(*, shop: Shop, email: str, order_ids: list[int]) -> dict[str, Any]:
    requests = _shopper_requests(shop=shop, email=email, order_ids=order_ids).select_related("order")
    return {
        "order_requests": [
            {
                "order": request.order.name,
                "kind": request.kind,
                "state": request.state,
                "submitted_at": request.created_at.isoformat(),
                "email": request.shopper_email,
                "reason_code": request.reason_code,
                "reason_text": request.reason_text,
                "requested_address": request.requested_address,
                "previous_address": request.previous_address,
                "decision_message": request.decision_message,
                "refund": request.refund,
                "refund_amount": str(request.refund_amount) if request.refund_amount is not None else None,
            }
            for request in requests.order_by("created_at", "pk")
        ]
    }


def requests_delete_for_shop(*, shop: Shop) -> int:
    deleted, _ = Request.objects.filter(order__shop=shop).delete()
    return deleted
