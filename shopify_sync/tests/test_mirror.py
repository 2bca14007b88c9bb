"""orders_upsert: bulk, monotonic, constant in queries; deletes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopify_sync.models import Customer, LineItem, Order
from shopify_sync.services.mirror import (
    UpsertResult,
    order_mark_deleted,
    orders_upsert,
)
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.signals import order_synced
from shopify_sync.tests.factories import T0, LineItemDataFactory, OrderDataFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return shop_get_or_create_current()


def test_it_creates_orders_with_their_customer_and_line_items(shop):
    data = OrderDataFactory(line_items=(LineItemDataFactory(), LineItemDataFactory(title="Apron")))

    result = orders_upsert(shop=shop, orders=[data])

    assert (result.created, result.updated, result.skipped_stale) == (1, 0, 0)
    order = Order.objects.get(shopify_gid=data.gid)
    assert order.legacy_id == data.legacy_id
    assert order.email == data.email.strip().lower()
    assert order.customer is not None and data.customer is not None
    assert order.customer.email == data.customer.email.strip().lower()
    assert order.customer.first_name == "Grace"
    assert order.shipping_address is not None and order.shipping_address["city"] == "Arlington"
    assert order.tags == ["vip"]
    assert order.total_price == Decimal("25.00")
    assert order.risk_level == "low"
    assert [line.title for line in order.line_items.order_by("position")] == ["Tea towel", "Apron"]
    assert list(result.order_ids) == [order.pk]


def test_it_updates_an_order_from_a_newer_payload(shop):
    data = OrderDataFactory()
    orders_upsert(shop=shop, orders=[data])

    newer = dataclasses.replace(
        data, updated_at=T0 + timedelta(minutes=5), financial_status="refunded", cancelled_at=T0
    )
    result = orders_upsert(shop=shop, orders=[newer])

    assert (result.created, result.updated, result.skipped_stale) == (0, 1, 0)
    order = Order.objects.get(shopify_gid=data.gid)
    assert order.financial_status == Order.FinancialStatus.REFUNDED
    assert order.is_cancelled
    assert Order.objects.count() == 1


def test_it_ignores_an_older_update_after_a_newer_one(shop):
    data = OrderDataFactory(updated_at=T0 + timedelta(minutes=10), financial_status="refunded")
    orders_upsert(shop=shop, orders=[data])

    older = dataclasses.replace(data, updated_at=T0, financial_status="paid", name="#stale")
    result = orders_upsert(shop=shop, orders=[older])

    assert (result.created, result.updated, result.skipped_stale) == (0, 0, 1)
    order = Order.objects.get(shopify_gid=data.gid)
    assert order.financial_status == "refunded"
    assert order.name == data.name
    assert order.updated_at_shopify == data.updated_at


def test_a_batch_mixing_stale_and_fresh_payloads_writes_only_the_fresh_ones(shop):
    stored = [OrderDataFactory(updated_at=T0 + timedelta(minutes=10)) for _ in range(4)]
    orders_upsert(shop=shop, orders=stored)
    stale = [dataclasses.replace(o, updated_at=T0, note="stale") for o in stored[:2]]
    fresh = [dataclasses.replace(o, updated_at=T0 + timedelta(minutes=20), note="fresh") for o in stored[2:]]
    new = OrderDataFactory(note="new")

    result = orders_upsert(shop=shop, orders=[stale[0], fresh[0], new, stale[1], fresh[1]])

    assert (result.created, result.updated, result.skipped_stale) == (1, 2, 2)
    notes = dict(Order.objects.values_list("shopify_gid", "note"))
    assert [notes[o.gid] for o in stored] == ["", "", "fresh", "fresh"]
    assert notes[new.gid] == "new"


def test_within_one_batch_the_newest_payload_of_an_order_wins(shop):
    data = OrderDataFactory(updated_at=T0 + timedelta(minutes=3), note="newest")
    older = dataclasses.replace(data, updated_at=T0, note="older")

    result = orders_upsert(shop=shop, orders=[data, older])

    assert (result.created, result.skipped_stale) == (1, 1)
    assert Order.objects.get().note == "newest"


def test_an_equal_updated_at_is_written_again(shop):
    """Shopify's timestamps have second precision: two changes in one second share an updated_at."""
    data = OrderDataFactory()
    orders_upsert(shop=shop, orders=[data])

    result = orders_upsert(shop=shop, orders=[dataclasses.replace(data, fulfillment_status="fulfilled")])

    assert result.updated == 1
    assert Order.objects.get().fulfillment_status == "fulfilled"


def test_a_payload_without_risk_level_keeps_the_stored_one(shop):
    data = OrderDataFactory(risk_level="high")
    orders_upsert(shop=shop, orders=[data])

    orders_upsert(
        shop=shop, orders=[dataclasses.replace(data, risk_level=None, updated_at=T0 + timedelta(1))]
    )
    assert Order.objects.get().risk_level == "high"

    orders_upsert(
        shop=shop, orders=[dataclasses.replace(data, risk_level="medium", updated_at=T0 + timedelta(2))]
    )
    assert Order.objects.get().risk_level == "medium"


def test_a_new_order_without_risk_level_stores_none_assessed(shop):
    orders_upsert(shop=shop, orders=[OrderDataFactory(risk_level=None)])

    assert Order.objects.get().risk_level == ""


def test_line_items_are_replaced_keeping_the_rows_of_lines_still_there(shop):
    kept, dropped = LineItemDataFactory(), LineItemDataFactory()
    data = OrderDataFactory(line_items=(kept, dropped))
    orders_upsert(shop=shop, orders=[data])
    kept_pk = LineItem.objects.get(shopify_gid=kept.gid).pk

    added = LineItemDataFactory(title="Added")
    edited = dataclasses.replace(kept, current_quantity=1, unfulfilled_quantity=1)
    orders_upsert(
        shop=shop,
        orders=[dataclasses.replace(data, updated_at=T0 + timedelta(1), line_items=(added, edited))],
    )

    lines = {line.shopify_gid: line for line in LineItem.objects.all()}
    assert set(lines) == {kept.gid, added.gid}
    assert lines[kept.gid].pk == kept_pk
    assert lines[kept.gid].current_quantity == 1
    assert (lines[added.gid].position, lines[kept.gid].position) == (0, 1)


def test_it_keeps_which_lines_are_gift_cards_and_which_need_no_shipping(shop):
    gift_card = LineItemDataFactory(title="Gift card", requires_shipping=False, gift_card=True)
    ebook = LineItemDataFactory(title="E-book", requires_shipping=False)
    towel = LineItemDataFactory()
    data = OrderDataFactory(line_items=(gift_card, ebook, towel))
    orders_upsert(shop=shop, orders=[data])

    def flags() -> dict[str, tuple[bool, bool]]:
        return {line.title: (line.requires_shipping, line.gift_card) for line in LineItem.objects.all()}

    assert flags() == {"Gift card": (False, True), "E-book": (False, False), "Tea towel": (True, False)}

    # a later payload that says otherwise (a merchant fixed the product) is written over the row
    shipped_ebook = dataclasses.replace(ebook, requires_shipping=True)
    orders_upsert(
        shop=shop,
        orders=[
            dataclasses.replace(
                data, updated_at=T0 + timedelta(1), line_items=(gift_card, shipped_ebook, towel)
            )
        ],
    )

    assert flags() == {"Gift card": (False, True), "E-book": (True, False), "Tea towel": (True, False)}


def test_a_stale_payload_leaves_line_items_and_customer_alone(shop):
    data = OrderDataFactory(updated_at=T0 + timedelta(1))
    orders_upsert(shop=shop, orders=[data])
    assert data.customer is not None

    stale_customer = dataclasses.replace(data.customer, first_name="Stale")
    orders_upsert(
        shop=shop,
        orders=[dataclasses.replace(data, updated_at=T0, line_items=(), customer=stale_customer)],
    )

    assert LineItem.objects.count() == 1
    assert Customer.objects.get().first_name == "Grace"


def test_orders_of_one_customer_share_one_customer_row(shop):
    customer = OrderDataFactory().customer
    assert customer is not None
    orders_upsert(shop=shop, orders=[OrderDataFactory(customer=customer) for _ in range(3)])

    assert Customer.objects.count() == 1
    assert Order.objects.filter(customer__shopify_gid=customer.gid).count() == 3


def test_it_sends_order_synced_with_the_rows_written(shop):
    received = []

    def receiver(sender, shop, order_ids, **kwargs):
        received.append((sender, shop, sorted(order_ids)))

    order_synced.connect(receiver)
    try:
        stored = OrderDataFactory(updated_at=T0 + timedelta(1))
        orders_upsert(shop=shop, orders=[stored])
        received.clear()
        new = OrderDataFactory()
        orders_upsert(shop=shop, orders=[new, dataclasses.replace(stored, updated_at=T0)])
    finally:
        order_synced.disconnect(receiver)

    assert received == [(Order, shop, [Order.objects.get(shopify_gid=new.gid).pk])]


def _queries_to_upsert(shop, count: int, *, first_id: int, minutes: int) -> int:
    orders = [
        OrderDataFactory(
            legacy_id=first_id + i,
            updated_at=T0 + timedelta(minutes=minutes),
            line_items=(
                LineItemDataFactory(gid=f"gid://shopify/LineItem/{first_id + i}1"),
                LineItemDataFactory(gid=f"gid://shopify/LineItem/{first_id + i}2"),
            ),
        )
        for i in range(count)
    ]
    with CaptureQueriesContext(connection) as captured:
        result = orders_upsert(shop=shop, orders=orders)
    assert result.created + result.updated == count
    return len(captured.captured_queries)


def test_upserting_200_orders_costs_the_same_queries_as_10(shop):
    creating_10 = _queries_to_upsert(shop, 10, first_id=1_000, minutes=0)
    creating_200 = _queries_to_upsert(shop, 200, first_id=2_000, minutes=0)
    updating_200 = _queries_to_upsert(shop, 200, first_id=2_000, minutes=1)

    assert creating_10 == creating_200 == updating_200
    assert creating_200 <= 10, creating_200


def test_batches_cost_queries_per_batch_not_per_order(shop):
    orders = [OrderDataFactory() for _ in range(30)]
    with CaptureQueriesContext(connection) as one_batch:
        orders_upsert(shop=shop, orders=orders[:10], batch_size=10)
    with CaptureQueriesContext(connection) as two_batches:
        orders_upsert(shop=shop, orders=orders[10:], batch_size=10)

    assert len(two_batches.captured_queries) == 2 * len(one_batch.captured_queries)


def test_upsert_results_add_up():
    assert UpsertResult(1, 2, 3, (1,)) + UpsertResult(1, 1, 1, (2,)) == UpsertResult(2, 3, 4, (1, 2))


def test_a_deleted_order_is_hidden_and_stays_deleted_after_a_late_update(shop):
    data = OrderDataFactory()
    orders_upsert(shop=shop, orders=[data])

    assert order_mark_deleted(shop=shop, legacy_id=data.legacy_id)
    orders_upsert(shop=shop, orders=[dataclasses.replace(data, updated_at=T0 + timedelta(1))])

    order = Order.objects.get()
    assert order.deleted_at is not None
    assert not order_mark_deleted(shop=shop, legacy_id=data.legacy_id)
