"""The insights' numbers on a small store built by hand, one query per chart, the page and its CSV.

Two weeks (Mondays 2026-06-01 and 2026-06-08) and one order before the range:

- o1 placed Mon 1 10:00: cancelled, 100 refunded of 100; cancel changed_my_mind +2h completed (full refund)
- o2 placed Tue 2 10:00: cancelled, 20 refunded of 50; cancel wrong_size_or_variant +4h completed (partial)
- o3 placed Fri 5 12:00: kept; cancel changed_my_mind +6h rejected, cancel found_better_price +72h rejected
- o4 placed Wed 3 09:00: kept; cancel wrong_address +1h rejected, then an address change +2h completed
- o5 placed Wed 3: deleted in Shopify (not counted anywhere)
- o6 placed Wed 10 08:00: cancelled by the store, no request
- o7 placed Tue 9 10:00: kept; address change +1h completed, cancel other +10h rejected
- o8 placed Tue 9 10:00: cancelled, 40 refunded as store credit; address change +1h completed, cancel +3h
- o9 placed May 20: cancelled before the range; cancel +1h completed
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from cancellations import insights
from cancellations.insights import DateRange
from cancellations.models import RefundMethod, Request
from cancellations.tests.admin_support import NEW_ADDRESS, moderator_make
from shopify_sync.tests.factories import LineItemFactory, OrderFactory

WEEK_1 = date(2026, 6, 1)
WEEK_2 = date(2026, 6, 8)
SPAN = DateRange(start=date(2026, 6, 1), end=date(2026, 6, 14))
C, A = Request.Kind.CANCEL, Request.Kind.ADDRESS_CHANGE
DONE, NO = Request.State.COMPLETED, Request.State.REJECTED


def at(day: int, hour: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def order(shop, placed: datetime, *, total="50", refunded="0", cancelled=False, deleted=False, items=()):
    made = OrderFactory(
        shop=shop,
        processed_at=placed,
        created_at_shopify=placed,
        updated_at_shopify=placed,
        total_price=Decimal(total),
        total_price_presentment=Decimal(total),
        total_refunded=Decimal(refunded),
        cancelled_at=placed + timedelta(hours=12) if cancelled else None,
        deleted_at=placed + timedelta(days=1) if deleted else None,
    )
    for position, (title, quantity) in enumerate(items):
        LineItemFactory(
            order=made, title=title, quantity=quantity, current_quantity=quantity, position=position
        )
    return made


def request(of, kind, state, hours: float, reason="", refund="", amount=None, text=""):
    made = Request.objects.create(
        order=of,
        kind=kind,
        state=state,
        reason_code=reason,
        reason_text=text,
        shopper_email=of.email,
        refund=refund,
        refund_amount=amount,
        requested_address=NEW_ADDRESS if kind == A else None,
    )
    Request.objects.filter(pk=made.pk).update(created_at=of.processed_at + timedelta(hours=hours))
    return made


@pytest.fixture
def store(shop):
    o1 = order(shop, at(1, 10), total="100", refunded="100", cancelled=True, items=[("Mug", 2), ("Tea", 1)])
    o2 = order(shop, at(2, 10), total="50", refunded="20", cancelled=True, items=[("Mug", 1)])
    o3 = order(shop, at(5, 12), items=[("Mug", 5)])
    o4 = order(shop, at(3, 9))
    order(shop, at(3, 9), cancelled=True, deleted=True, items=[("Mug", 9)])
    order(shop, at(10, 8), total="30", cancelled=True, items=[("Tea", 3)])
    o7 = order(shop, at(9, 10))
    o8 = order(shop, at(9, 10), total="40", refunded="40", cancelled=True, items=[("Vase", 1)])
    o9 = order(shop, at(20, 10, month=5), cancelled=True, items=[("Vase", 9)])

    request(o1, C, DONE, 2, "changed_my_mind", RefundMethod.FULL)
    request(o2, C, DONE, 4, "wrong_size_or_variant", RefundMethod.PARTIAL, Decimal("20"))
    request(o3, C, NO, 6, "changed_my_mind")
    request(o3, C, NO, 72, "found_better_price")
    request(o4, C, NO, 1, "wrong_address")
    request(o4, A, DONE, 2)
    request(o7, A, DONE, 1)
    request(o7, C, NO, 10, "other", text='=HYPERLINK("http://evil")')
    request(o8, A, DONE, 1)
    request(o8, C, DONE, 3, "changed_my_mind", RefundMethod.STORE_CREDIT)
    request(o9, C, DONE, 1, "changed_my_mind", RefundMethod.FULL)


def test_cancel_requests_are_counted_by_reason_and_week(store, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insights.cancels_by_reason_per_week(SPAN)

    assert [(r["week"], r["reason"], r["requests"]) for r in rows] == [
        (WEEK_1, "changed_my_mind", 2),
        (WEEK_1, "wrong_address", 1),
        (WEEK_1, "wrong_size_or_variant", 1),
        (WEEK_2, "changed_my_mind", 1),
        (WEEK_2, "found_better_price", 1),
        (WEEK_2, "other", 1),
    ]


def test_the_cancellation_rate_is_cancelled_over_all_orders_placed_that_week(
    store, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = insights.cancellation_rate_per_week(SPAN)

    assert [
        (r["week"], r["orders"], r["cancelled"], r["cancelled_by_portal"], r["rate_percent"]) for r in rows
    ] == [
        (WEEK_1, 4, 2, 2, 50.0),
        (WEEK_2, 3, 2, 1, 66.7),
    ]


def test_address_fixes_count_completed_changes_on_orders_not_cancelled(store, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insights.address_fixes_per_week(SPAN)

    assert [(r["week"], r["address_changes"], r["fixes"], r["after_cancel_request"]) for r in rows] == [
        (WEEK_1, 1, 1, 1),
        (WEEK_2, 2, 1, 0),
    ]


def test_the_most_cancelled_products_count_cancelled_orders_placed_in_the_range(
    store, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = insights.most_cancelled_products(SPAN)

    assert [(r["title"], r["orders"], r["units"]) for r in rows] == [
        ("Tea", 2, 4),
        ("Mug", 2, 3),
        ("Vase", 1, 1),
    ]


def test_the_median_time_to_a_cancel_request_is_per_week(store, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insights.median_hours_to_cancel_request_per_week(SPAN)

    # week 1: 1, 2, 4, 6 hours → 3; week 2: 3, 10, 72 hours → 10
    assert [(r["week"], r["requests"], r["median_hours"]) for r in rows] == [
        (WEEK_1, 4, 3.0),
        (WEEK_2, 3, 10.0),
    ]


def test_value_refunded_versus_kept_follows_what_shopify_shows(store, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insights.refunded_versus_kept_per_week(SPAN)

    assert [
        (r["week"], r["cancels"], r["order_value"], r["refunded"], r["store_credit"], r["kept"]) for r in rows
    ] == [
        (WEEK_1, 2, Decimal("150"), Decimal("120"), Decimal("0"), Decimal("30")),
        (WEEK_2, 1, Decimal("40"), Decimal("0"), Decimal("40"), Decimal("0")),
    ]


def test_an_empty_range_has_no_rows(store):
    empty = DateRange(start=date(2025, 1, 1), end=date(2025, 1, 31))

    assert insights.cancels_by_reason_per_week(empty) == []
    assert insights.median_hours_to_cancel_request_per_week(empty) == []
    assert insights.refunded_versus_kept_per_week(empty) == []


def test_the_insights_page_reads_without_javascript(client, store):
    client.force_login(moderator_make())

    response = client.get(
        reverse("admin:cancellations_insights"), {"start": "2026-06-01", "end": "2026-06-14"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "vendor/chartjs/chart.umd.min.js" in content and "cdn" not in content.lower()
    assert '<td class="rq-num">66.7%</td>' in content
    assert "Wrong shipping address" in content and '<th scope="row">Tea</th>' in content
    assert 'id="insights-data"' in content


def test_the_insights_page_runs_one_query_per_chart(client, store):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(moderator_make())
    url = reverse("admin:cancellations_insights")
    client.get(url)  # warm the session

    with CaptureQueriesContext(connection) as captured:
        client.get(url, {"start": "2026-06-01", "end": "2026-06-14"})

    reports = [
        q["sql"]
        for q in captured
        if any(
            table in q["sql"]
            for table in ("cancellations_request", "shopify_sync_lineitem", "cancellations_retentionoffer")
        )
    ]
    assert len(reports) == 9  # six cancel charts, two of offers, one of item edits


def test_the_csv_holds_the_requests_behind_the_page_and_no_formulas(client, store):
    client.force_login(moderator_make())

    response = client.get(
        reverse("admin:cancellations_insights_csv"), {"start": "2026-06-01", "end": "2026-06-14"}
    )

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 10  # o9's request is before the range
    assert {row["reason_code"] for row in rows if row["kind"] == "cancel"} >= {
        "changed_my_mind",
        "wrong_address",
    }
    (other,) = [row for row in rows if row["reason_code"] == "other"]
    assert other["reason_text"].startswith("'=HYPERLINK")
    assert other["minutes_to_request"] == "600"


def test_with_several_stores_the_page_shows_one_store_at_a_time(client, store, shop):
    from shopify_sync.tests.factories import ShopFactory

    other = ShopFactory(domain="store-b.myshopify.com", name="Store B", currency="KRW")
    theirs = order(other, at(2, 10), total="900000", refunded="900000", cancelled=True, items=[("Gong", 1)])
    request(theirs, C, DONE, 1, "found_better_price", RefundMethod.FULL)
    june = {"start": "2026-06-01", "end": "2026-06-14"}
    client.force_login(moderator_make())

    first = client.get(reverse("admin:cancellations_insights"), june).content.decode()
    second = client.get(reverse("admin:cancellations_insights"), {**june, "shop": other.pk}).content.decode()

    assert 'name="shop"' in first and "Store B" in first
    assert '<th scope="row">Gong</th>' not in first and '<th scope="row">Tea</th>' in first
    assert '<th scope="row">Gong</th>' in second and '<th scope="row">Tea</th>' not in second


def test_staff_limited_to_a_store_see_its_insights_only(client, store, shop):
    from shopify_sync.tests.factories import ShopFactory

    other = ShopFactory(domain="store-b.myshopify.com", name="Store B")
    theirs = order(other, at(2, 10), cancelled=True, items=[("Gong", 1)])
    request(theirs, C, DONE, 1, "found_better_price", RefundMethod.FULL)
    limited = moderator_make()
    other.staff.add(limited)
    client.force_login(limited)
    june = {"start": "2026-06-01", "end": "2026-06-14"}

    own = client.get(reverse("admin:cancellations_insights"), june).content.decode()
    asked_for_a = client.get(
        reverse("admin:cancellations_insights"), {**june, "shop": shop.pk}
    ).content.decode()
    csv_of_a = client.get(reverse("admin:cancellations_insights_csv"), {**june, "shop": shop.pk})

    assert '<th scope="row">Gong</th>' in own and '<th scope="row">Tea</th>' not in own
    assert 'name="shop"' not in own  # one store to see: nothing to choose
    # Another store's id in the address is not a choice: the page falls back to the user's own store.
    assert '<th scope="row">Tea</th>' not in asked_for_a
    assert b"".join(csv_of_a.streaming_content).decode().count("\n") == 1  # the header only
