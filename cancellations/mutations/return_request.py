"""returnRequest, then returnApproveRequest: a shopper's return, approved by the merchant (or the policy),
opened in Shopify. Our return is found again by the request's marker in its lines' notes, so neither call
is ever made twice; a return the merchant declined in Shopify meanwhile fails the request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import PENDING, Answer, MutationUnit, Verdict, blocked, register
from shopify_sync.returns import OrderReturnables

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


def return_marker(request_id: int) -> str:
    return f"Self-service request #{request_id}"


def _read(client: ShopifyClient, request: Request) -> OrderReturnables | None:
    return client.order_returnables(request.order.shopify_gid)


@register
class ReturnRequest(MutationUnit[OrderReturnables]):
    operation = ShopifyMutation.Operation.RETURN_REQUEST

    def plan(self, request: Request) -> dict[str, Any]:
        note = return_marker(request.pk) + (f": {request.reason_text}" if request.reason_text else "")
        return {
            "order_gid": request.order.shopify_gid,
            "lines": [
                [line["fulfillment_line_item_gid"], line["quantity"]] for line in request.return_lines or []
            ],
            "reason": request.reason_code or "OTHER",
            "note": note[:300],
            "marker": return_marker(request.pk),
        }

    def read(self, client: ShopifyClient, request: Request) -> OrderReturnables | None:
        return _read(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderReturnables, *, sent_before: bool) -> Verdict:
        mine = truth.marked(mutation.variables["marker"])
        if mine is not None:
            return Verdict(done=True, result_id=mine.id)
        returnable = {line.fulfillment_line_item_gid: line.returnable for line in truth.lines}
        for fli, quantity in mutation.variables["lines"]:
            if returnable.get(fli, 0) < quantity:
                return blocked(
                    Request.Failure.SHOPIFY_REFUSED, f"{fli} can no longer be returned x{quantity}"
                )
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderReturnables) -> Answer:
        return_gid = client.return_request(
            order_gid=mutation.variables["order_gid"],
            lines=[(fli, int(quantity)) for fli, quantity in mutation.variables["lines"]],
            reason=mutation.variables["reason"],
            note=mutation.variables["note"],
        )
        return Answer(result_id=return_gid, detail={"return": return_gid})

    def not_confirmed_message(self, truth: OrderReturnables) -> str:
        return "Shopify did not show the return"


@register
class ReturnApprove(MutationUnit[OrderReturnables]):
    operation = ShopifyMutation.Operation.RETURN_APPROVE

    def plan(self, request: Request) -> dict[str, Any]:
        return {"marker": return_marker(request.pk)}

    def read(self, client: ShopifyClient, request: Request) -> OrderReturnables | None:
        return _read(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderReturnables, *, sent_before: bool) -> Verdict:
        mine = truth.marked(mutation.variables["marker"])
        if mine is None:
            return blocked(Request.Failure.SHOPIFY_REFUSED, "the return is not in Shopify")
        if mine.status in ("OPEN", "CLOSED"):
            return Verdict(done=True, result_id=mine.id)
        if mine.status != "REQUESTED":
            return blocked(Request.Failure.SHOPIFY_REFUSED, f"the return is {mine.status.lower()} in Shopify")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderReturnables) -> Answer:
        mine = truth.marked(mutation.variables["marker"])
        assert mine is not None  # `check` blocked otherwise
        status = client.return_approve(return_gid=mine.id)
        return Answer(result_id=mine.id, detail={"status": status})

    def not_confirmed_message(self, truth: OrderReturnables) -> str:
        return "Shopify did not show the return open"
