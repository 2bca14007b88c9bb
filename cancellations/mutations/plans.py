"""Which Shopify calls a request makes, in order: its plan. Mostly written with the decision; a return's
begins at submit (its `returnRequest`) and grows with the decision (`services.outbox.request_plan`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cancellations.models import Policy, RefundMethod, Request, ShopifyMutation
from cancellations.mutations.base import unit_for


@dataclass(frozen=True, slots=True)
class PlannedCall:
    operation: str
    variables: dict[str, Any]


def _operations(request: Request) -> list[str]:
    if request.kind == Request.Kind.RETURN:
        return _return_operations(request)
    if request.state in Request.PUSHED_IN_PLACE:
        return []  # undecided or rejected: only a return asks anything of Shopify then
    if request.kind == Request.Kind.CANCEL:
        operations: list[str] = [ShopifyMutation.Operation.ORDER_CANCEL]
        if request.refund == RefundMethod.PARTIAL:
            operations.append(ShopifyMutation.Operation.REFUND_CREATE)
        if _closes_after_cancel(request):
            operations.append(ShopifyMutation.Operation.ORDER_CLOSE)
        return operations
    if request.kind == Request.Kind.ITEM_EDIT:
        operations = [ShopifyMutation.Operation.ORDER_EDIT_COMMIT]
        if request.refund == RefundMethod.PARTIAL:  # the difference, once the edit is in
            operations.append(ShopifyMutation.Operation.REFUND_CREATE)
        return operations
    if request.kind == Request.Kind.KEEP_BONUS:
        return [ShopifyMutation.Operation.GIFT_CARD_CREATE]
    return [ShopifyMutation.Operation.ORDER_UPDATE]


def _return_operations(request: Request) -> list[str]:
    """Submitted: the return is opened in Shopify (REQUESTED) while the store decides. Approved: opened and
    approved. Rejected: declined in Shopify, when our request for it may have reached Shopify."""
    if request.state == Request.State.SUBMITTED:
        return [ShopifyMutation.Operation.RETURN_REQUEST]
    if request.state == Request.State.REJECTED:
        sent = request.mutations.filter(
            operation=ShopifyMutation.Operation.RETURN_REQUEST, first_sent_at__isnull=False
        ).exists()
        return [ShopifyMutation.Operation.RETURN_DECLINE] if sent else []
    return [ShopifyMutation.Operation.RETURN_REQUEST, ShopifyMutation.Operation.RETURN_APPROVE]


def _closes_after_cancel(request: Request) -> bool:
    policy = Policy.objects.filter(shop_id=request.order.shop_id).only("close_after_cancel").first()
    return policy is not None and policy.close_after_cancel


def plan_for(request: Request) -> list[PlannedCall]:
    """The calls a request makes in its state: from its decision (refund, restock, notify, address) once
    approved; a return's also while it waits for a decision and once rejected."""
    return [PlannedCall(op, unit_for(op).plan(request)) for op in _operations(request)]
