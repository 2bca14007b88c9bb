"""refundCreate: a partial refund after the cancel. Money: found by its note before it is ever sent, and
sent with the row's idempotency key, so Shopify refunds once however often the same attempt goes out."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import PENDING, Answer, MutationUnit, Verdict, blocked, read_order, register
from shopify_sync.client import OrderPayments

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


def refund_note(request_id: int) -> str:
    """Identifies our partial refund among the order's refunds."""
    return f"Self-service request #{request_id}: partial refund"


@register
class RefundCreate(MutationUnit[OrderPayments]):
    operation = ShopifyMutation.Operation.REFUND_CREATE

    def plan(self, request: Request) -> dict[str, Any]:
        return {
            "order_gid": request.order.shopify_gid,
            "amount": str(request.refund_amount),
            "note": refund_note(request.pk),
            "notify": request.notify_customer,
        }

    def read(self, client: ShopifyClient, request: Request) -> OrderPayments | None:
        # The order too, into the mirror: the shopper's page shows what was refunded as soon as it is.
        if read_order(client, request) is None:
            return None
        return client.order_transactions(request.order.shopify_gid)

    def check(self, mutation: ShopifyMutation, truth: OrderPayments, *, sent_before: bool) -> Verdict:
        note = mutation.variables["note"]
        mine = next((r for r in truth.refunds if note in r.note), None)
        if mine is not None:
            return Verdict(done=True, result_id=mine.id)
        if not truth.captured():
            return blocked(Request.Failure.SHOPIFY_REFUSED, "no captured payment to refund")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderPayments) -> Answer:
        parent = truth.captured()[0]
        refund = client.refund_create(
            order_gid=mutation.variables["order_gid"],
            amount=Decimal(mutation.variables["amount"]),
            currency=truth.presentment_currency,
            parent_transaction=parent,
            note=mutation.variables["note"],
            notify=mutation.variables["notify"],
            idempotency_key=mutation.idempotency_key,
        )
        return Answer(result_id=refund.id, detail={"refund_id": refund.id, "parent": parent.id})

    def not_confirmed_message(self, truth: OrderPayments) -> str:
        return "Shopify did not show the refund"
