"""refundCreate: a partial refund after the cancel. Money: found by its note before it is ever sent, and
sent with the row's idempotency key, so Shopify refunds once however often the same attempt goes out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import (
    PENDING,
    Answer,
    Blocked,
    MutationUnit,
    Verdict,
    blocked,
    read_order,
    register,
)
from shopify_sync.client import OrderPayments, RefundShare

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


def refund_shares(amount: Decimal, available: list[RefundShare]) -> list[RefundShare] | None:
    """`amount` spread over the payments Shopify would refund, in its order, each up to what it still
    holds (a card first, then a gift card, say); None when together they hold less."""
    shares, left = [], amount
    for payment in available:
        if left <= 0:
            break
        take = min(left, payment.amount)
        shares.append(RefundShare(payment.parent_id, payment.gateway, take))
        left -= take
    return shares if left <= 0 else None


def refund_note(request_id: int) -> str:
    """Identifies our partial refund among the order's refunds."""
    return f"Self-service request #{request_id}: partial refund"


@dataclass(frozen=True, slots=True)
class RefundTruth:
    payments: OrderPayments  # the order's transactions and refunds: is ours there already?
    shares: list[RefundShare]  # what each payment still holds, as Shopify would refund it


@register
class RefundCreate(MutationUnit[RefundTruth]):
    operation = ShopifyMutation.Operation.REFUND_CREATE

    def plan(self, request: Request) -> dict[str, Any]:
        return {
            "order_gid": request.order.shopify_gid,
            "amount": str(request.refund_amount),
            "note": refund_note(request.pk),
            "notify": request.notify_customer,
        }

    def read(self, client: ShopifyClient, request: Request) -> RefundTruth | None:
        # The order too, into the mirror: the shopper's page shows what was refunded as soon as it is.
        if read_order(client, request) is None:
            return None
        payments = client.order_transactions(request.order.shopify_gid)
        if payments is None:
            return None
        return RefundTruth(payments, client.suggested_refund_shares(request.order.shopify_gid))

    def check(self, mutation: ShopifyMutation, truth: RefundTruth, *, sent_before: bool) -> Verdict:
        note = mutation.variables["note"]
        mine = next((r for r in truth.payments.refunds if note in r.note), None)
        if mine is not None:
            return Verdict(done=True, result_id=mine.id)
        if not truth.payments.captured():
            return blocked(Request.Failure.SHOPIFY_REFUSED, "no captured payment to refund")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: RefundTruth) -> Answer:
        amount = Decimal(mutation.variables["amount"])
        shares = refund_shares(amount, truth.shares)
        if shares is None:
            raise Blocked(Request.Failure.SHOPIFY_REFUSED, f"Shopify has less than {amount} left to refund")
        refund = client.refund_create(
            order_gid=mutation.variables["order_gid"],
            shares=shares,
            currency=truth.payments.presentment_currency,
            note=mutation.variables["note"],
            notify=mutation.variables["notify"],
            idempotency_key=mutation.idempotency_key,
        )
        parents = [share.parent_id for share in shares]
        return Answer(result_id=refund.id, detail={"refund_id": refund.id, "parents": parents})

    def not_confirmed_message(self, truth: RefundTruth) -> str:
        return "Shopify did not show the refund"
