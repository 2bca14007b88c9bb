"""The order list pages through a shopper's orders without counting them, reads no stored payload, and says
the same words (English and Korean) with its labels and countdown texts translated once per page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from portal.tests.conftest import make_order
from shopify_sync.models import Order

pytestmark = pytest.mark.django_db

LIST = reverse("orders:list")


def _cards(html: str) -> int:
    return html.count('class="card order-card"')


@pytest.fixture
def twelve_orders(shop, policy, shopper) -> list[Order]:
    return [make_order(shop, "ada@example.com", minutes_ago=minutes + 1, items=1) for minutes in range(12)]


def test_it_pages_through_the_orders_without_counting_them(client, shopper, twelve_orders):
    client.force_login(shopper)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(LIST).content.decode()
    second = client.get(LIST + "?page=2").content.decode()

    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert _cards(first) == 10 and _cards(second) == 2
    assert 'href="?page=2" rel="next"' in first and 'rel="prev"' not in first
    assert 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second
    assert twelve_orders[0].name in first and twelve_orders[-1].name in second  # newest first


def test_a_full_single_page_offers_no_other_page(client, shop, policy, shopper):
    for minutes in range(10):
        make_order(shop, "ada@example.com", minutes_ago=minutes + 1, items=1)
    client.force_login(shopper)

    html = client.get(LIST).content.decode()

    assert _cards(html) == 10
    assert 'class="pagination"' not in html


def test_a_page_past_the_last_goes_back_to_the_first(client, shopper, twelve_orders):
    client.force_login(shopper)

    for page in ("3", "99", "99999999999999999999"):
        response = client.get(LIST + f"?page={page}")
        assert response.status_code == 302 and response["Location"] == LIST, page


@pytest.mark.parametrize("page", ["abc", "0", "-2", "", "1.5"])
def test_a_page_that_is_not_a_number_is_the_first(client, shopper, twelve_orders, page):
    client.force_login(shopper)

    response = client.get(LIST + f"?page={page}")

    assert response.status_code == 200
    assert _cards(response.content.decode()) == 10


def test_an_empty_list_still_says_so(client, shop, policy, shopper):
    client.force_login(shopper)

    assert "We found no orders" in client.get(LIST).content.decode()


def test_order_pages_never_read_the_stored_payload(client, shopper, twelve_orders):
    client.force_login(shopper)
    order = twelve_orders[0]

    for url in (LIST, reverse("orders:detail", args=[order.legacy_id])):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        order_reads = [q["sql"] for q in queries if 'FROM "shopify_sync_order"' in q["sql"]]
        assert order_reads, url
        assert not [sql for sql in order_reads if "last_payload" in sql], url


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_status_labels_say_what_the_model_says(client, shop, policy, shopper, language):
    partly = make_order(
        shop, "ada@example.com", fulfillment_status=Order.FulfillmentStatus.PARTIALLY_FULFILLED
    )
    make_order(shop, "ada@example.com", financial_status=Order.FinancialStatus.PARTIALLY_REFUNDED)
    make_order(shop, "ada@example.com", fulfillment_status="a_status_shopify_added_later")
    client.force_login(shopper)

    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    detail = client.get(reverse("orders:detail", args=[partly.legacy_id]), HTTP_ACCEPT_LANGUAGE=language)

    with translation.override(language):
        partly_fulfilled = str(Order.FulfillmentStatus.PARTIALLY_FULFILLED.label)
        partly_refunded = str(Order.FinancialStatus.PARTIALLY_REFUNDED.label)
    assert language == "en" or partly_fulfilled == "부분 발송"
    assert partly_fulfilled in html and partly_refunded in html
    assert "a_status_shopify_added_later" in html  # unknown to the mirror: Shopify's own word
    assert partly_fulfilled in detail.content.decode()


def test_every_countdown_carries_the_texts_in_the_shoppers_language(client, shop, policy, shopper):
    for minutes in (1, 2, 3):
        make_order(shop, "ada@example.com", minutes_ago=minutes)
    client.force_login(shopper)

    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    countdowns = re.findall(r'<p class="countdown"[^>]*>', html)
    assert len(countdowns) >= 3
    for countdown in countdowns:
        assert 'data-ended="이 주문을 변경할 수 있는 시간이 끝났습니다."' in countdown
        assert re.search(r'data-minutes-other="[^"]*%\(count\)s[^"]*"', countdown)
