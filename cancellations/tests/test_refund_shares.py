"""A partial refund spread over the payments Shopify would refund, in its order (pure)."""

from __future__ import annotations

from decimal import Decimal

from cancellations.mutations.refund_create import refund_shares
from shopify_sync.client import RefundShare

CARD = RefundShare("gid://shopify/OrderTransaction/1", "shopify_payments", Decimal("30.00"))
GIFT = RefundShare("gid://shopify/OrderTransaction/2", "gift_card", Decimal("20.00"))


def test_an_amount_the_first_payment_holds_goes_there_alone():
    assert refund_shares(Decimal("12.50"), [CARD, GIFT]) == [
        RefundShare(CARD.parent_id, "shopify_payments", Decimal("12.50"))
    ]


def test_a_larger_amount_continues_on_the_next_payment():
    assert refund_shares(Decimal("35.00"), [CARD, GIFT]) == [
        RefundShare(CARD.parent_id, "shopify_payments", Decimal("30.00")),
        RefundShare(GIFT.parent_id, "gift_card", Decimal("5.00")),
    ]


def test_more_than_the_payments_hold_is_none():
    assert refund_shares(Decimal("50.01"), [CARD, GIFT]) is None
    assert refund_shares(Decimal("1.00"), []) is None
