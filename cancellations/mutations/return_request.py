"""A shopper's return in Shopify: `returnRequest` at submit (the return waits there as REQUESTED while the
request waits here, undecided), then the decision: `returnApproveRequest` (OPEN) or `returnDeclineRequest`
(DECLINED, with the merchant's message). With auto-approval both calls follow each other.

Our return is found again by the request's marker in its lines' notes, so no call is ever made twice, and a
decision the merchant already made in Shopify's admin is confirmed by reading, not sent: an approval here
finds the return OPEN, a rejection finds it DECLINED. A decision here that Shopify contradicts (approving a
return declined there, declining one approved there) fails the call for a merchant to look at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cancellations import conf
from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import DONE, PENDING, Answer, MutationUnit, Verdict, blocked, register
from shopify_sync.returns import OrderReturnables

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


def return_marker(request_id: int) -> str:
    return f"Self-service request #{request_id}"


# Shopify's limit on a decline's note to the customer.
DECLINE_NOTE_MAX = 500


def _read(client: ShopifyClient, request: Request) -> OrderReturnables | None:
    return client.order_returnables(request.order.shopify_gid)


@register
class ReturnRequest(MutationUnit[OrderReturnables]):
    operation = ShopifyMutation.Operation.RETURN_REQUEST

    def settle_seconds(self) -> float:
        # A second returnRequest would be a second return: after a lost answer, give the first call time
        # to show (a worker whose lease was taken over may still be waiting on it) before sending again.
        return conf.push_settle_seconds()

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


@register
class ReturnDecline(MutationUnit[OrderReturnables]):
    """The merchant's no, in Shopify too: declined for reason OTHER with their message as the note the
    customer reads there. Nothing to do when Shopify never got the return (the request call failed or never
    went out) or no longer holds it open for a decision (declined or cancelled there already)."""

    operation = ShopifyMutation.Operation.RETURN_DECLINE

    def plan(self, request: Request) -> dict[str, Any]:
        return {
            "marker": return_marker(request.pk),
            "reason": "OTHER",
            "note": (request.decision_message or "")[:DECLINE_NOTE_MAX],
        }

    def read(self, client: ShopifyClient, request: Request) -> OrderReturnables | None:
        return _read(client, request)

    def check(self, mutation: ShopifyMutation, truth: OrderReturnables, *, sent_before: bool) -> Verdict:
        mine = truth.marked(mutation.variables["marker"])
        if mine is None:
            return DONE  # the plan's returnRequest is settled before this row, and Shopify has no return
        if mine.status in ("DECLINED", "CANCELED"):
            return Verdict(done=True, result_id=mine.id)
        if mine.status != "REQUESTED":
            return blocked(
                Request.Failure.SHOPIFY_REFUSED,
                f"the return is {mine.status.lower()} in Shopify: approved there",
            )
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: OrderReturnables) -> Answer:
        mine = truth.marked(mutation.variables["marker"])
        assert mine is not None  # `check` confirmed otherwise
        status = client.return_decline(
            return_gid=mine.id, reason=mutation.variables["reason"], note=mutation.variables["note"]
        )
        return Answer(result_id=mine.id, detail={"status": status})

    def not_confirmed_message(self, truth: OrderReturnables) -> str:
        return "Shopify did not show the return declined"
