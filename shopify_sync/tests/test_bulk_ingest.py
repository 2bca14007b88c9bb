"""The full import's COPY path (`services.bulk_ingest`) against `orders_upsert`, on PostgreSQL, with the
devstore's bulk export as Shopify's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from shopify_sync import bulk_jsonl, graphql_results, sync
from shopify_sync.client import BulkOperation, ShopifyClient
from shopify_sync.models import Customer, LineItem, Order, Shop
from shopify_sync.services.bulk_ingest import SIGNAL_CHUNK, orders_ingest_jsonl
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.signals import order_synced
from shopify_sync.tests.conftest import SHOP_DOMAIN

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

SPECIAL_ORDERS: list[dict[str, Any]] = [
    {"email": "  Mixed.Case@Example.com ", "tags": ["vip", "gift"], "note": "leave at the door"},
    {"currency": "KRW", "line_items": [{"title": "Tumbler", "quantity": 2, "price": "15000"}]},
    {
        "line_items": [
            {
                "title": "Gift card",
                "quantity": 1,
                "price": "50.00",
                "requires_shipping": False,
                "gift_card": True,
            },
            {"title": "E-book", "quantity": 1, "price": "9.00", "requires_shipping": False},
            {"title": "Mug", "quantity": 3, "price": "12.00", "sku": "MUG-1"},
        ]
    },
]


def _client(store) -> ShopifyClient:
    return ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")


def _export(store, folder: Path) -> tuple[BulkOperation, Path]:
    operation = sync.bulk_orders_export(client=_client(store), poll_seconds=0.05)
    path = folder / "orders.jsonl"
    assert operation.url
    bulk_jsonl.download(operation.url, path)
    return operation, path


def _shop() -> Shop:
    return Shop.objects.create(domain=SHOP_DOMAIN, currency="USD")


def _import_through_orders_upsert(shop: Shop, path: Path) -> None:
    orders = (
        graphql_results.order(row, line_items=lines) for row, lines in bulk_jsonl.orders_with_children(path)
    )
    orders_upsert(shop=shop, orders=orders)


def _import_through_copy(shop: Shop, path: Path) -> list[int]:
    return [count for count, _outcome in orders_ingest_jsonl(shop=shop, path=path, batch_size=200)]


def _mirror() -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of the mirror, keyed by gid, with keys and sync times (which differ by nature) left out
    and foreign keys named by the gid they point at."""
    customer_gids = dict(Customer.objects.values_list("pk", "shopify_gid"))
    order_gids = dict(Order.objects.values_list("pk", "shopify_gid"))
    customers: dict[str, dict[str, Any]] = {}
    for customer in Customer.objects.values():
        row: dict[str, Any] = dict(customer)
        del row["id"], row["shop_id"]
        customers[row["shopify_gid"]] = row
    orders: dict[str, dict[str, Any]] = {}
    for order in Order.objects.values():
        row = dict(order)
        del row["id"], row["shop_id"], row["synced_at"]
        row["customer_id"] = customer_gids.get(row["customer_id"])
        orders[row["shopify_gid"]] = row
    lines: dict[str, dict[str, Any]] = {}
    for line in LineItem.objects.values():
        row = dict(line)
        del row["id"]
        row["order_id"] = order_gids[row["order_id"]]
        lines[row["shopify_gid"]] = row
    return {"customers": customers, "orders": orders, "lines": lines}


def _wipe() -> None:
    LineItem.objects.all().delete()
    Order.objects.all().delete()
    Customer.objects.all().delete()


def test_it_writes_every_column_as_orders_upsert_does(devstore_factory, tmp_path):
    with devstore_factory(seed=450, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        for fields in SPECIAL_ORDERS:
            store.create_order(**fields)
        store.fulfill(store.create_order()["legacy_id"])
        _operation, path = _export(store, tmp_path)
    shop = _shop()

    _import_through_orders_upsert(shop, path)
    expected = _mirror()
    _wipe()
    batches = _import_through_copy(shop, path)
    stored = _mirror()

    assert len(batches) > 1 and sum(batches) == len(expected["orders"]) == 454
    for kind in ("customers", "orders", "lines"):
        assert stored[kind].keys() == expected[kind].keys(), kind
        for gid, row in expected[kind].items():
            assert stored[kind][gid] == row, (kind, gid)
    assert any(sorted(row["tags"]) == ["gift", "vip"] for row in stored["orders"].values())
    assert any(row["email"] == "mixed.case@example.com" for row in stored["orders"].values())


def test_the_full_import_uses_it_and_moves_the_cursor(devstore_factory, tmp_path, settings):
    settings.SHOPIFY_SHOP_DOMAIN = SHOP_DOMAIN
    with devstore_factory(seed=120, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = store.token
        progress: list[tuple[int, int]] = []

        result = sync.orders_import_bulk(
            client=_client(store),
            poll_seconds=0.05,
            on_progress=lambda done, total: progress.append((done, total)),
        )

    assert (result.orders, result.created, result.updated, result.skipped_stale) == (120, 120, 0, 0)
    assert progress[-1] == (120, 120)
    assert Order.objects.count() == 120 and LineItem.objects.filter(order__shop__domain=SHOP_DOMAIN).exists()
    assert Order.objects.filter(last_payload__id__startswith="gid://shopify/Order/").count() == 120
    shop = Shop.objects.get(domain=SHOP_DOMAIN)
    assert shop.last_full_import_at is not None and shop.sync_cursor is not None


def test_an_older_payload_never_overwrites_a_newer_row_and_an_equal_one_is_written_again(
    devstore_factory, tmp_path
):
    with devstore_factory(seed=30, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        _operation, path = _export(store, tmp_path)
    shop = _shop()
    _import_through_copy(shop, path)
    newer = Order.objects.order_by("pk").first()
    assert newer is not None
    later = newer.updated_at_shopify + timedelta(seconds=5)
    Order.objects.filter(pk=newer.pk).update(
        updated_at_shopify=later, name="#newer", financial_status="refunded"
    )
    kept_line = newer.line_items.first()
    assert kept_line is not None
    LineItem.objects.filter(pk=kept_line.pk).update(title="changed since")
    Order.objects.exclude(pk=newer.pk).update(name="#stale copy")

    outcomes = [outcome for _count, outcome in orders_ingest_jsonl(shop=shop, path=path)]

    newer.refresh_from_db()
    assert (newer.name, newer.financial_status, newer.updated_at_shopify) == ("#newer", "refunded", later)
    assert LineItem.objects.get(pk=kept_line.pk).title == "changed since"
    assert not Order.objects.filter(name="#stale copy").exists()  # equal updated_at: written again
    assert sum(o.skipped_stale for o in outcomes) == 1
    assert sum(o.updated for o in outcomes) == 29 and sum(o.created for o in outcomes) == 0


def test_lines_an_order_no_longer_has_are_deleted(devstore_factory, tmp_path):
    with devstore_factory(seed=10, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        _operation, path = _export(store, tmp_path)
    shop = _shop()
    _import_through_copy(shop, path)
    order = Order.objects.order_by("pk").first()
    assert order is not None
    line = order.line_items.get(position=0)
    dropped = LineItem.objects.create(
        order=order,
        shopify_gid="gid://shopify/LineItem/999999999",
        title="Removed by an edit",
        quantity=1,
        current_quantity=1,
        unfulfilled_quantity=1,
        unit_price=line.unit_price,
        unit_price_presentment=line.unit_price_presentment,
        currency=line.currency,
        presentment_currency=line.presentment_currency,
    )
    line_ids = set(LineItem.objects.exclude(pk=dropped.pk).values_list("pk", flat=True))

    _import_through_copy(shop, path)

    assert not LineItem.objects.filter(pk=dropped.pk).exists()
    assert set(LineItem.objects.values_list("pk", flat=True)) == line_ids  # the others keep their key


def test_order_synced_names_the_rows_written_in_chunks_the_receivers_expect(devstore_factory, tmp_path):
    with devstore_factory(seed=1200, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        _operation, path = _export(store, tmp_path)
    shop = _shop()
    sent: list[list[int]] = []

    def receiver(sender, *, shop, order_ids, **kwargs):
        sent.append(list(order_ids))

    order_synced.connect(receiver, dispatch_uid="test_bulk_ingest")
    try:
        list(orders_ingest_jsonl(shop=shop, path=path))
        assert sorted(pk for chunk in sent for pk in chunk) == sorted(
            Order.objects.values_list("pk", flat=True)
        )
        assert max(len(chunk) for chunk in sent) <= SIGNAL_CHUNK
        newer = Order.objects.order_by("pk").first()
        assert newer is not None
        Order.objects.filter(pk=newer.pk).update(updated_at_shopify=timezone.now() + timedelta(days=1))
        sent.clear()

        list(orders_ingest_jsonl(shop=shop, path=path))
    finally:
        order_synced.disconnect(dispatch_uid="test_bulk_ingest")

    written = [pk for chunk in sent for pk in chunk]
    assert len(written) == 1199 and newer.pk not in written
