"""`orders_for_shopper` in a store's mirror of 50,000 orders from 10,000 other shoppers: the shopper's orders
and no others, found through indexes whatever the store's size (PostgreSQL's plan, read with EXPLAIN: no
sequential scan of the orders or the customers). The 50,000 take seconds to write, so they are the slow
tier's; `make test` checks the same at 5,000, where the plan is already the one a big store gets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.utils import timezone

from bench.mirror import mirror_fill
from cancellations.selectors import OrderPass, orders_for_shopper
from cancellations.tests.factories import OrderFactory, ShopFactory
from shopify_sync.models import Customer, Order
from shopify_sync.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PAGE = 11  # the order list's query: a page of 10 and one more


@pytest.fixture(params=[5_000, pytest.param(50_000, marks=pytest.mark.slow)], ids=lambda n: f"{n}_orders")
def mirror_orders(request) -> int:
    return request.param


@pytest.fixture
def big_shop(shop, mirror_orders):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's: run with DATABASE_URL=postgres://…")
    mirror_fill(shop, orders=mirror_orders, shoppers=mirror_orders // 5, payloads=False)
    return shop


@pytest.fixture
def owned(big_shop, shopper) -> dict[str, Order]:
    """The shopper's few orders among the others, in each way an order can be theirs or look like it."""
    EmailAddress.objects.create(user=shopper, email="ada.work@example.com", verified=True)
    their_account = CustomerFactory(shop=big_shop, email="ada.work@example.com")
    other_shop = ShopFactory(domain="another-store.myshopify.com")
    return {
        "guest checkout": OrderFactory(shop=big_shop, customer=None, email=shopper.email),
        "on their account": OrderFactory(shop=big_shop, customer=their_account, email="ada.work@example.com"),
        "a gift, on their account": OrderFactory(
            shop=big_shop, customer=their_account, email="gift@example.net"
        ),
        "their address, another account": OrderFactory(
            shop=big_shop,
            customer=CustomerFactory(shop=big_shop, email="partner@example.net"),
            email=shopper.email,
        ),
        "deleted": OrderFactory(shop=big_shop, customer=None, email=shopper.email, deleted_at=timezone.now()),
        "another store's": OrderFactory(shop=other_shop, customer=None, email=shopper.email),
    }


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _scans(queryset) -> list[tuple[str, str]]:
    """(node type, index or table) of every node of the query's plan that reads one."""
    [explained] = json.loads(queryset.explain(format="json"))
    return [
        (node["Node Type"], node.get("Index Name") or node["Relation Name"])
        for node in _plan_nodes(explained["Plan"])
        if "Relation Name" in node or "Index Name" in node
    ]


def _assert_indexed(queryset) -> None:
    scans = _scans(queryset)
    sequential = [table for node, table in scans if node == "Seq Scan"]
    mirror = {Order._meta.db_table, Customer._meta.db_table}
    assert not set(sequential) & mirror, f"a sequential scan of the mirror: {scans}"
    assert any("Index" in node for node, _ in scans), scans


def test_among_thousands_of_orders_the_shopper_gets_exactly_theirs_through_indexes(
    big_shop, mirror_orders, shopper, owned
):
    assert Order.objects.filter(shop=big_shop).count() > mirror_orders
    orders = orders_for_shopper(shopper, shop=big_shop)

    assert set(orders) == {
        owned["guest checkout"],
        owned["on their account"],
        owned["a gift, on their account"],
        owned["their address, another account"],
    }
    assert owned["another store's"] in set(orders_for_shopper(shopper))
    _assert_indexed(orders.all()[:PAGE])  # the list page
    _assert_indexed(orders.filter(legacy_id=owned["on their account"].legacy_id))  # an order's own page

    order = owned["guest checkout"]
    guest = OrderPass(order_id=order.pk, email=order.email)
    assert list(orders_for_shopper(guest, shop=big_shop)) == [order]
    _assert_indexed(orders_for_shopper(guest, shop=big_shop)[:PAGE])
