"""orderCancel: irreversible and asynchronous (Shopify answers with a job; `cancelledAt` shows later)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cancellations import conf
from cancellations.models import RefundMethod, Request, ShopifyMutation
from cancellations.mutations.base import (
    DONE,
    PENDING,
    Answer,
    MutationUnit,
    Verdict,
    blocked,
    read_order,
    register,
)
from cancellations.policy import push_blocker
from shopify_sync.errors import ShopifyUserError
from shopify_sync.types import OrderData

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient

# How each refund decision goes out with the cancel. A partial refund is a cancel without a refund, then
# its own refundCreate call.
CANCEL_REFUND: dict[str, str | None] = {
    RefundMethod.FULL: "original",
    RefundMethod.STORE_CREDIT: "store_credit",
    RefundMethod.NONE: None,
    RefundMethod.PARTIAL: None,
    "": None,
}


def staff_note(request: Request) -> str:
    """The note Shopify keeps with the cancel (at most 255 characters)."""
    reason = request.reason_code or "-"
    text = " ".join(request.reason_text.split())
    note = f"Self-service request #{request.pk} by {request.shopper_email or 'the shopper'}: {reason}"
    if text:
        note += f" — {text}"
    return note if len(note) <= 255 else note[:254] + "…"


@register
class OrderCancel(MutationUnit[OrderData]):
    operation = ShopifyMutation.Operation.ORDER_CANCEL
    asynchronous = True

    def settle_seconds(self) -> float:
        # A re-read right after a lost answer can show the order not cancelled yet although our cancel is
        # under way: a second call must wait until it would have shown.
        return conf.push_settle_seconds()

    def plan(self, request: Request) -> dict[str, Any]:
        return {
            "order_gid": request.order.shopify_gid,
            "refund": CANCEL_REFUND[request.refund],
            "restock": request.restock,
            "notify_customer": request.notify_customer,
            "staff_note": staff_note(request),
            "reason": "CUSTOMER",
        }

    def read(self, client: ShopifyClient, request: Request) -> OrderData | None:
        return read_order(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderData, *, sent_before: bool) -> Verdict:
        if truth.cancelled_at is not None:
            # Cancelled: ours if a call of ours ever went out (it landed), else the store's doing.
            if sent_before:
                return DONE
            return blocked(
                Request.Failure.CANCELLED_IN_STORE, f"cancelled in Shopify ({truth.cancel_reason})"
            )
        if push_blocker(truth) == "shipped":
            return blocked(Request.Failure.SHIPPED, f"fulfillment status {truth.fulfillment_status}")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderData) -> Answer:
        job = client.order_cancel(**mutation.variables)
        return Answer(
            result_id=job.job_id or "", detail={"job_id": job.job_id, "done": job.done}, finished=job.done
        )

    def refusal_may_be_ours(self, exc: ShopifyUserError) -> bool:
        return any("already been cancel" in e.message.lower() for e in exc.errors)

    def not_confirmed_message(self, truth: OrderData) -> str:
        return "Shopify's cancel job did not finish"
