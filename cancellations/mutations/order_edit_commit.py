"""orderEditCommit: the shopper's item edit (begin, stage the changes, commit), irreversible.

Shopify has no idempotency key for an edit, and each send begins a fresh edit session: found by reading
the order's lines, never committed twice. The commit goes through only on the order the shopper saw: a
line shipped, edited or re-priced since the preview, or a total Shopify now prices differently, fails the
request (`ORDER_CHANGED`) for a merchant to see, and the shopper is told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cancellations import conf, item_edits
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
from cancellations.policy import push_blocker
from shopify_sync.order_edits import EditableOrder, EditStale, LineChange, PriceChanged
from shopify_sync.types import OrderData

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


def edit_staff_note(request: Request) -> str:
    return f"Self-service request #{request.pk} by {request.shopper_email or 'the shopper'}: items changed"


@dataclass(frozen=True, slots=True)
class EditTruth:
    order: OrderData  # written to the mirror, so the portal shows the edit as soon as it is read
    editable: EditableOrder  # the lines with their variants, which the mirror does not keep


@register
class OrderEditCommit(MutationUnit[EditTruth]):
    operation = ShopifyMutation.Operation.ORDER_EDIT_COMMIT

    def settle_seconds(self) -> float:
        # A commit whose answer was lost may still be under way: wait before a fresh edit could apply the
        # same changes a second time.
        return conf.push_settle_seconds()

    def plan(self, request: Request) -> dict[str, Any]:
        snapshot = request.edit_preview or {}
        return {
            "order_gid": request.order.shopify_gid,
            "changes": list(request.line_changes or []),
            "restock": request.restock,
            "notify": request.notify_customer,
            "staff_note": edit_staff_note(request),
            "expect_outstanding": snapshot.get("outstanding"),
            "snapshot_lines": snapshot.get("lines", []),
        }

    def read(self, client: ShopifyClient, request: Request) -> EditTruth | None:
        order = read_order(client, request)
        editable = client.order_for_edit(request.order.shopify_gid) if order is not None else None
        return EditTruth(order, editable) if order is not None and editable is not None else None

    def check(self, mutation: ShopifyMutation, truth: EditTruth, *, sent_before: bool) -> Verdict:
        snapshot = {"lines": mutation.variables["snapshot_lines"]}
        if item_edits.changes_applied(snapshot, _changes(mutation), truth.editable):
            return Verdict(done=True, result_id=truth.editable.updated_at)
        if truth.order.cancelled_at is not None:
            return blocked(Request.Failure.CANCELLED_IN_STORE, "the order was cancelled")
        if push_blocker(truth.order) == "shipped":
            return blocked(Request.Failure.SHIPPED, f"fulfillment status {truth.order.fulfillment_status}")
        moved = item_edits.changed_since_preview(snapshot, truth.editable)
        if moved:
            return blocked(Request.Failure.ORDER_CHANGED, f"the order changed since the preview: {moved}")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: EditTruth) -> Answer:
        expected = mutation.variables.get("expect_outstanding")
        snapshot = {"lines": mutation.variables["snapshot_lines"]}
        try:
            updated_at = client.order_edit_commit(
                order_gid=mutation.variables["order_gid"],
                changes=_changes(mutation),
                notify_customer=mutation.variables["notify"],
                staff_note=mutation.variables["staff_note"],
                expect_outstanding=Decimal(expected) if expected is not None else None,
                still_valid=lambda current: item_edits.changed_since_preview(snapshot, current),
            )
        except (PriceChanged, EditStale) as exc:
            raise Blocked(Request.Failure.ORDER_CHANGED, str(exc)) from exc
        return Answer(result_id=updated_at, detail={"updated_at": updated_at})

    def not_confirmed_message(self, truth: EditTruth) -> str:
        return (
            "Shopify does not show the edited items as asked: the order changed while the edit was "
            "committed; look at the order in Shopify before retrying"
        )


def _changes(mutation: ShopifyMutation) -> list[LineChange]:
    restock = bool(mutation.variables.get("restock", True))
    return [item_edits.change_from_dict(c, restock=restock) for c in mutation.variables["changes"]]
