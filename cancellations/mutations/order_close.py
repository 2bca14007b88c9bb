"""orderClose after a cancel, for a store that turned off Shopify's automatic archiving (with it on, as
by default, Shopify closes a cancelled order itself and this row is confirmed by reading). Setting a
state: a resend cannot apply anything twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import DONE, PENDING, Answer, MutationUnit, Verdict, read_order, register
from shopify_sync.types import OrderData

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


@register
class OrderClose(MutationUnit[OrderData]):
    operation = ShopifyMutation.Operation.ORDER_CLOSE

    def plan(self, request: Request) -> dict[str, Any]:
        return {"order_gid": request.order.shopify_gid}

    def read(self, client: ShopifyClient, request: Request) -> OrderData | None:
        return read_order(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderData, *, sent_before: bool) -> Verdict:
        return DONE if truth.closed else PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderData) -> Answer:
        closed = client.order_close(order_gid=mutation.variables["order_gid"])
        return Answer(detail={"closed": closed})

    def not_confirmed_message(self, truth: OrderData) -> str:
        return "Shopify did not show the order archived"
