"""Cheap predicates on mirror rows."""

from __future__ import annotations

from datetime import UTC, datetime

from shopify_sync.tests.factories import OrderFactory


def test_an_order_is_cancelled_when_shopify_says_when():
    assert not OrderFactory.build().is_cancelled
    assert OrderFactory.build(cancelled_at=datetime(2026, 7, 1, tzinfo=UTC)).is_cancelled
