"""orderUpdate of the shipping address: setting a value, so a resend cannot apply anything twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
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
from shopify_sync.types import MailingAddress, OrderData

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


@register
class OrderUpdate(MutationUnit[OrderData]):
    operation = ShopifyMutation.Operation.ORDER_UPDATE

    def plan(self, request: Request) -> dict[str, Any]:
        return {"order_gid": request.order.shopify_gid, "address": request.requested_address or {}}

    def read(self, client: ShopifyClient, request: Request) -> OrderData | None:
        return read_order(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderData, *, sent_before: bool) -> Verdict:
        if truth.shipping_address is not None and truth.shipping_address.same_as(
            mutation.variables["address"]
        ):
            return DONE
        if truth.cancelled_at is not None:
            return blocked(Request.Failure.CANCELLED_IN_STORE, "the order was cancelled")
        if push_blocker(truth) == "shipped":
            return blocked(Request.Failure.SHIPPED, f"fulfillment status {truth.fulfillment_status}")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderData) -> Answer:
        kept = client.order_update_shipping_address(
            order_gid=mutation.variables["order_gid"], address=_wanted(mutation)
        )
        return Answer(detail={"kept": kept.as_dict() if kept else None})

    def not_confirmed_message(self, truth: OrderData) -> str:
        return "Shopify kept a different address"


def _wanted(mutation: ShopifyMutation) -> MailingAddress:
    return MailingAddress.from_dict(mutation.variables["address"])
