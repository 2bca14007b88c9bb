"""The domain: each shop's self-service policy, and the requests shoppers make.

Nothing here does I/O. Every write that means something is a service in `cancellations.services`; the
predicates here are cheap and pure (`policy.deadline_for(order, kind)`, `request.can_move_to(state)`).

One module per part: `policy` (Policy, CancelReason), `requests` (Request, RefundMethod, RequestEvent),
`outbox` (ShopifyMutation), `offers` (RetentionOffer), `holds` (FulfilmentHold), `withdrawals`
(Withdrawal: the EU withdrawal statements).
"""

from cancellations.models.holds import FulfilmentHold
from cancellations.models.offers import RetentionOffer
from cancellations.models.outbox import REDACTED, ShopifyMutation, idempotency_key_for
from cancellations.models.policy import (
    POLICY_REFUND_CHOICES,
    CancelReason,
    Policy,
    default_allowed_financial_statuses,
)
from cancellations.models.requests import RefundMethod, Request, RequestEvent
from cancellations.models.withdrawals import Withdrawal

__all__ = [
    "POLICY_REFUND_CHOICES",
    "REDACTED",
    "CancelReason",
    "FulfilmentHold",
    "Policy",
    "RefundMethod",
    "Request",
    "RequestEvent",
    "RetentionOffer",
    "ShopifyMutation",
    "Withdrawal",
    "default_allowed_financial_statuses",
    "idempotency_key_for",
]
