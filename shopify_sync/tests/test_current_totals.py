"""The order's current total (after edits and returns) beside its total as placed, from every source."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from shopify_sync import graphql_results, sync
from shopify_sync.bulk_jsonl import orders_with_children
from shopify_sync.client import ShopifyClient
from shopify_sync.models import Order
from shopify_sync.order_edits import LineChange
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.tests.factories import T0, MoneyFactory, OrderDataFactory, rest_order
from shopify_sync.types import Money
from shopify_sync.webhooks.payloads import order_data_from_rest

ORDER_NODE = {
    "id": "gid://shopify/Order/1",
    "createdAt": "2026-07-01T00:00:00Z",
    "updatedAt": "2026-07-01T00:00:00Z",
    "currencyCode": "USD",
    "presentmentCurrencyCode": "EUR",
    "totalPriceSet": {
        "shopMoney": {"amount": "49.0", "currencyCode": "USD"},
        "presentmentMoney": {"amount": "45.0", "currencyCode": "EUR"},
    },
    # as the documents select it: amounts only, in the order's currencies
    "currentTotalPriceSet": {"shopMoney": {"amount": "29.0"}, "presentmentMoney": {"amount": "27.0"}},
}


def test_it_reads_the_current_total_of_a_graphql_order():
    data = graphql_results.order(ORDER_NODE)

    assert data.total_price == Money(Decimal("49.0"), "USD")
    assert data.current_total_price == Money(Decimal("29.0"), "USD")
    assert data.current_total_price_presentment == Money(Decimal("27.0"), "EUR")


def test_a_graphql_order_without_a_current_total_says_it_does_not_know():
    node = {key: value for key, value in ORDER_NODE.items() if key != "currentTotalPriceSet"}

    data = graphql_results.order(node)

    assert data.current_total_price is None and data.current_total_price_presentment is None


def test_it_reads_the_current_total_of_a_bulk_order_row(tmp_path):
    path = tmp_path / "bulk.jsonl"
    line = {"id": "gid://shopify/LineItem/11", "__parentId": ORDER_NODE["id"], "quantity": 2}
    path.write_text("".join(json.dumps(row) + "\n" for row in (ORDER_NODE, line)))

    [(row, children)] = orders_with_children(path)
    data = graphql_results.order(row, children)

    assert data.current_total_price == Money(Decimal("29.0"), "USD")
    assert data.current_total_price_presentment == Money(Decimal("27.0"), "EUR")


def test_it_reads_the_current_total_of_a_webhook_body():
    body = rest_order(
        total_price="49.00",
        current_total_price="29.00",
        current_total_price_set={
            "shop_money": {"amount": "29.00", "currency_code": "USD"},
            "presentment_money": {"amount": "27.00", "currency_code": "EUR"},
        },
        presentment_currency="EUR",
    )

    data = order_data_from_rest(body)

    assert data.current_total_price == Money(Decimal("29.00"), "USD")
    assert data.current_total_price_presentment == Money(Decimal("27.00"), "EUR")


def test_a_webhook_body_with_only_the_plain_current_total_uses_it_for_both_currencies():
    body = rest_order(current_total_price="29.00")
    del body["current_total_price_set"]

    data = order_data_from_rest(body)

    assert data.current_total_price == data.current_total_price_presentment == Money(Decimal("29.00"), "USD")


def test_a_webhook_body_without_a_current_total_says_it_does_not_know():
    body = rest_order()
    del body["current_total_price"], body["current_total_price_set"]

    data = order_data_from_rest(body)

    assert data.current_total_price is None and data.current_total_price_presentment is None


@pytest.mark.django_db
def test_an_upsert_stores_the_current_total_and_forgets_it_when_a_newer_payload_does_not_say():
    shop = shop_get_or_create_current()
    edited = OrderDataFactory(
        current_total_price=MoneyFactory(amount=Decimal("29.00")),
        current_total_price_presentment=MoneyFactory(amount=Decimal("27.00")),
    )

    orders_upsert(shop=shop, orders=[edited])
    row = Order.objects.get(shopify_gid=edited.gid)
    assert (row.total_price, row.current_total_price, row.current_total_price_presentment) == (
        Decimal("25.00"),
        Decimal("29.00"),
        Decimal("27.00"),
    )

    unknown = dataclasses.replace(
        edited, updated_at=T0.replace(hour=10), current_total_price=None, current_total_price_presentment=None
    )
    orders_upsert(shop=shop, orders=[unknown])
    row.refresh_from_db()
    assert row.current_total_price is None and row.current_total_price_presentment is None
    assert row.display_total_presentment == row.total_price_presentment


# -- with the devstore as Shopify ------------------------------------------------------------------------


@pytest.fixture
def edited_order(devstore, settings):
    """An order of two tees at 20.00 and a mug at 9.00, edited in Shopify to one tee and no mug."""
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    created = devstore.create_order(
        email="edited@example.com",
        line_items=[
            {"title": "Tee", "quantity": 2, "price": "20.00"},
            {"title": "Mug", "quantity": 1, "price": "9.00"},
        ],
    )
    before = devstore.order(created["legacy_id"])
    tee, mug = before["line_items"]
    client_of(devstore).order_edit_commit(
        order_gid=before["admin_graphql_api_id"],
        changes=[LineChange(tee["admin_graphql_api_id"], 1), LineChange(mug["admin_graphql_api_id"], 0)],
        notify_customer=False,
        staff_note="test",
    )
    return devstore, devstore.order(created["legacy_id"])


def client_of(store) -> ShopifyClient:
    return ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")


def _assert_mirrors_the_edit(shopify: dict) -> None:
    row = Order.objects.get(legacy_id=shopify["id"])
    assert row.total_price == Decimal(shopify["total_price"]) == Decimal("49.00")
    assert row.current_total_price == Decimal(shopify["current_total_price"]) == Decimal("20.00")
    assert row.current_total_price_presentment == Decimal("20.00")
    assert row.display_total_presentment == Decimal("20.00")
    quantities = {line.title: (line.quantity, line.current_quantity) for line in row.line_items.all()}
    assert quantities == {"Tee": (2, 1), "Mug": (1, 0)}


@pytest.mark.django_db
def test_an_incremental_sync_mirrors_the_current_total_after_an_edit(edited_order):
    devstore, shopify = edited_order

    sync.orders_sync_incremental(client=client_of(devstore))

    _assert_mirrors_the_edit(shopify)


@pytest.mark.django_db
def test_a_full_import_mirrors_the_current_total_after_an_edit(edited_order):
    devstore, shopify = edited_order

    sync.orders_import_bulk(client=client_of(devstore), poll_seconds=0.05)

    _assert_mirrors_the_edit(shopify)


@pytest.mark.django_db
def test_the_webhook_body_of_an_edited_order_gives_the_same_current_total(edited_order):
    _devstore, shopify = edited_order

    orders_upsert(shop=shop_get_or_create_current(), orders=[order_data_from_rest(shopify)])

    _assert_mirrors_the_edit(shopify)
