"""After an item edit is committed in Shopify, the shopper's pages show the order as it is now: the
current quantities, no removed lines, the current total."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.tests.conftest import make_order
from shopify_sync.models import Order
from shopify_sync.tests.factories import LineItemFactory

pytestmark = pytest.mark.django_db


def edited_order(shop, **fields) -> Order:
    """2 cups at ₩22,500 and a ₩9,000 towel as placed (₩54,000); edited to 1 cup, the towel removed."""
    totals = {
        "total_price": Decimal("54000"),
        "total_price_presentment": Decimal("54000"),
        "current_total_price": Decimal("22500"),
        "current_total_price_presentment": Decimal("22500"),
    }
    order = make_order(shop, "ada@example.com", items=0, **{**totals, **fields})
    for position, (title, quantity, current, price) in enumerate(
        [("Celadon cup", 2, 1, "22500"), ("Tea towel", 1, 0, "9000")]
    ):
        LineItemFactory(
            order=order,
            title=title,
            quantity=quantity,
            current_quantity=current,
            unfulfilled_quantity=current,
            unit_price=Decimal(price),
            unit_price_presentment=Decimal(price),
            currency="KRW",
            presentment_currency="KRW",
            position=position,
        )
    return order


def test_the_detail_page_shows_current_quantities_and_total_without_removed_lines(
    client, shop, policy, shopper
):
    order = edited_order(shop)
    client.force_login(shopper)

    html = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()

    assert "Celadon cup" in html and "1 \u00d7 ₩22,500" in html
    assert "2 \u00d7 ₩22,500" not in html
    assert "Tea towel" not in html
    assert '<dd class="total">₩22,500</dd>' in html
    assert "₩54,000" not in html and "₩45,000" not in html


def test_the_order_list_shows_current_quantities_and_total_without_removed_lines(
    client, shop, policy, shopper
):
    edited_order(shop)
    client.force_login(shopper)

    html = client.get(reverse("orders:list")).content.decode()

    assert "Celadon cup" in html and "<span>\u00d7 1</span>" in html
    assert "<span>\u00d7 2</span>" not in html
    assert "Tea towel" not in html
    assert '<span class="total">₩22,500</span>' in html and "₩54,000" not in html


def test_the_cancel_page_shows_current_quantities_and_total_without_removed_lines(
    client, shop, policy, shopper
):
    order = edited_order(shop)
    client.force_login(shopper)

    html = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()

    assert 'name="confirm"' in html  # the cancel form, with the order summarised above it
    assert "Celadon cup" in html and "<span>\u00d7 1</span>" in html
    assert "Tea towel" not in html
    assert "<strong>₩22,500</strong>" in html and "₩54,000" not in html


def test_an_order_synced_before_the_current_total_was_kept_shows_its_total(client, shop, policy, shopper):
    order = edited_order(shop, current_total_price=None, current_total_price_presentment=None)
    client.force_login(shopper)

    html = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()

    assert '<dd class="total">₩54,000</dd>' in html


def test_a_cancelled_order_still_shows_what_was_ordered_and_its_total(client, shop, policy, shopper):
    # Shopify zeroes every line and the current total of a cancelled order; the shopper still sees what
    # the order was, with the refund beside it.
    order = edited_order(
        shop,
        cancelled_at=timezone.now() - timedelta(minutes=1),
        current_total_price=Decimal("0"),
        current_total_price_presentment=Decimal("0"),
        total_refunded=Decimal("54000"),
    )
    order.line_items.update(current_quantity=0)
    client.force_login(shopper)

    detail = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()
    listing = client.get(reverse("orders:list")).content.decode()

    assert "2 \u00d7 ₩22,500" in detail and "1 \u00d7 ₩9,000" in detail
    assert '<dd class="total">₩54,000</dd>' in detail
    assert "<span>\u00d7 2</span>" in listing and "Tea towel" in listing
    assert '<span class="total">₩54,000</span>' in listing
