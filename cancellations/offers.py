"""Offers to keep an order, made to a shopper on their way to cancelling it: which ones apply, and the
bonus's figures. Pure: the cancel page asks `offers_for`, `services.offers` records what the shopper did.

An offer never stands between a shopper and their cancel: the page that shows it has "cancel anyway" one
click away, and a declined offer is not shown again for that submit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from cancellations.models import Policy, RetentionOffer
from shopify_sync.models import Order

WRONG_SIZE_REASON = "wrong_size_or_variant"
WRONG_ADDRESS_REASON = "wrong_address"


def order_value(order: Order) -> Decimal:
    """What the order is worth now, in the shop's currency: after edits when Shopify said so."""
    return order.current_total_price if order.current_total_price is not None else order.total_price


def keep_bonus_amount(policy: Policy, order: Order) -> Decimal | None:
    """The store credit for keeping `order`, in the shop's currency; None when the policy offers none or
    the order has no customer account for the gift card to belong to."""
    if not policy.offer_keep_bonus or order.customer_id is None:
        return None
    if policy.keep_bonus_percent:
        amount = order_value(order) * policy.keep_bonus_percent / Decimal(100)
    else:
        amount = policy.keep_bonus_amount or Decimal(0)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount if amount > 0 else None


def offers_for(
    policy: Policy, order: Order, *, reason_code: str, can_edit_items: bool, can_change_address: bool
) -> list[str]:
    """The offers (`RetentionOffer.Kind`) to show before cancelling `order` for `reason_code`."""
    kinds: list[str] = []
    if policy.offer_size_swap and reason_code == WRONG_SIZE_REASON and can_edit_items and policy.allow_swaps:
        kinds.append(RetentionOffer.Kind.SIZE_SWAP)
    if policy.offer_address_fix and reason_code == WRONG_ADDRESS_REASON and can_change_address:
        kinds.append(RetentionOffer.Kind.ADDRESS_FIX)
    if keep_bonus_amount(policy, order) is not None:
        kinds.append(RetentionOffer.Kind.KEEP_BONUS)
    return kinds


def bonus_code(request_id: int) -> str:
    """The gift card code of a bonus request: derived, never stored (a code is a bearer credential).

    The same request always gets the same code, so Shopify refuses a second card with it ("taken") and
    the push finds the first by searching for it: exactly once without keeping the secret anywhere."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"keep-bonus:{request_id}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest).decode().rstrip("=")[:16]
