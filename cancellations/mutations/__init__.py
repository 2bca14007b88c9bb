"""The Shopify calls a request can plan, one small unit per operation (see `base.MutationUnit`).

The push loop (`cancellations.services.push`) is the same for every operation; a unit only says how to
plan its call, how to tell from Shopify whether its effect is already there, and how to send it. A new
kind of request adds units here, never a new push code path.
"""

from __future__ import annotations

from cancellations.mutations.base import UNITS, Answer, Blocked, MutationUnit, Verdict, unit_for
from cancellations.mutations.gift_card_create import GiftCardCreate
from cancellations.mutations.order_cancel import OrderCancel
from cancellations.mutations.order_close import OrderClose
from cancellations.mutations.order_edit_commit import OrderEditCommit
from cancellations.mutations.order_update import OrderUpdate
from cancellations.mutations.plans import PlannedCall, plan_for
from cancellations.mutations.refund_create import RefundCreate
from cancellations.mutations.return_request import ReturnApprove, ReturnDecline, ReturnRequest

__all__ = [
    "UNITS",
    "Answer",
    "Blocked",
    "GiftCardCreate",
    "MutationUnit",
    "OrderCancel",
    "OrderClose",
    "OrderEditCommit",
    "OrderUpdate",
    "PlannedCall",
    "RefundCreate",
    "ReturnApprove",
    "ReturnDecline",
    "ReturnRequest",
    "Verdict",
    "plan_for",
    "unit_for",
]
