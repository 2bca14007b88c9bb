"""Cheap predicates on mirror rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shopify_sync.models import Order
from shopify_sync.tests.factories import OrderFactory


@pytest.mark.parametrize(
    ("status", "fulfilled_at_all"),
    [("unfulfilled", False), ("partially_fulfilled", True), ("fulfilled", True), ("on_hold", False)],
)
def test_fulfilled_at_all_follows_the_fulfillment_status(status, fulfilled_at_all):
    assert OrderFactory.build(fulfillment_status=status).is_fulfilled_at_all is fulfilled_at_all


def test_an_order_is_cancelled_when_shopify_says_when():
    assert not OrderFactory.build().is_cancelled
    assert OrderFactory.build(cancelled_at=datetime(2026, 7, 1, tzinfo=UTC)).is_cancelled


def test_an_order_is_refunded_at_all_by_amount_or_by_status():
    assert not OrderFactory.build().is_refunded_at_all
    assert OrderFactory.build(total_refunded=Decimal("1.00")).is_refunded_at_all
    assert OrderFactory.build(financial_status=Order.FinancialStatus.PARTIALLY_REFUNDED).is_refunded_at_all
