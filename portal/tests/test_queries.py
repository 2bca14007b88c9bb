"""The order list runs the same handful of queries for 3 orders as for 30 (one page holds 10)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cancellations.models import Request
from portal.tests.conftest import make_order

pytestmark = pytest.mark.django_db


def _list_queries(client, shop, count: int) -> int:
    for index in range(count):
        order = make_order(shop, "ada@example.com", minutes_ago=index + 1, items=3)
        if index % 2:
            Request.objects.create(order=order, kind=Request.Kind.CANCEL, reason_code="changed_my_mind")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("orders:list"))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("count", [3, 30])
def test_the_order_list_runs_a_constant_number_of_queries(
    client, shop, policy, shopper, count, django_assert_max_num_queries
):
    client.force_login(shopper)
    client.get(reverse("orders:list"))  # warm the session and the policy
    for index in range(count):
        order = make_order(shop, "ada@example.com", minutes_ago=index + 1, items=3)
        if index % 2:
            Request.objects.create(order=order, kind=Request.Kind.CANCEL, reason_code="changed_my_mind")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        assert client.get(reverse("orders:list")).status_code == 200


# Session, user, verified e-mails, shop (twice), page (no count: it fetches one order more), policy, and a
# prefetch each for the cards' lines, requests and fulfilment orders (one in progress changes what a card
# offers).
MAX_LIST_QUERIES = 10


def test_3_and_30_orders_cost_the_same(client, shop, policy, shopper):
    client.force_login(shopper)
    few = _list_queries(client, shop, 3)
    Request.objects.all().delete()
    many = _list_queries(client, shop, 27)  # 30 in all
    assert few == many
