"""Incremental sync, the full import and webhooks end to end, with the devstore as Shopify."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from devstore.testing import wait_for
from shopify_sync import sync
from shopify_sync.client import ShopifyClient
from shopify_sync.errors import ShopifyTransientError
from shopify_sync.models import LineItem, Order, Shop
from shopify_sync.tests.conftest import SECRET, SHOP_DOMAIN


@pytest.fixture
def store_settings(settings):
    """Point the portal's Shopify settings at a devstore once it is started."""

    def point_at(store):
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = store.token
        return store

    return point_at


def _client(store) -> ShopifyClient:
    return ShopifyClient(
        base_url=store.base_url,
        access_token=store.token,
        api_version="2026-07",
        backoff_base=0.01,
        max_attempts=3,
    )


def _truth(store) -> dict[str, object]:
    """Every order as the devstore (Shopify) has it, by gid, read through the client."""
    return {o.gid: o for page in _client(store).iter_order_pages() for o in page.orders}


def _assert_mirror_equals(truth) -> None:
    mirrored = {o.shopify_gid: o for o in Order.objects.prefetch_related("line_items")}
    assert set(mirrored) == set(truth)
    for gid, shopify in truth.items():
        row = mirrored[gid]
        assert (row.name, row.email, row.financial_status, row.fulfillment_status) == (
            shopify.name,
            shopify.email,
            shopify.financial_status,
            shopify.fulfillment_status,
        ), gid
        assert row.total_price == shopify.total_price.amount
        assert row.total_price_presentment == shopify.total_price_presentment.amount
        assert row.cancelled_at == shopify.cancelled_at
        assert row.updated_at_shopify == shopify.updated_at
        assert sorted(li.shopify_gid for li in row.line_items.all()) == sorted(
            li.gid for li in shopify.line_items
        )


@pytest.mark.django_db
def test_an_incremental_sync_mirrors_every_order_and_learns_the_shop(devstore_factory, store_settings):
    with devstore_factory(seed=300, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        store_settings(store)

        result = sync.orders_sync_incremental(client=_client(store))

        _assert_mirror_equals(_truth(store))
    shop = Shop.objects.get(domain=SHOP_DOMAIN)
    assert result.orders == 300
    assert shop.sync_cursor == max(o.updated_at_shopify for o in Order.objects.all())
    assert shop.iana_timezone == "Asia/Seoul"
    assert shop.currency == "USD"
    assert shop.sync_lease_until is None and shop.last_sync_error == ""


@pytest.mark.django_db
def test_the_next_sync_fetches_only_what_changed_since_the_cursor(devstore, store_settings, settings):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    first = devstore.create_order(email="a@example.com")
    devstore.create_order(email="b@example.com")
    sync.orders_sync_incremental(client=_client(devstore))
    cursor = Shop.objects.get().sync_cursor
    devstore.fulfill(first["legacy_id"])

    result = sync.orders_sync_incremental(client=_client(devstore))

    # The overlap re-reads what changed in the last minutes: both orders here, as both are that new.
    assert result.orders <= 2
    assert Order.objects.get(legacy_id=first["legacy_id"]).fulfillment_status == "fulfilled"
    new_cursor = Shop.objects.get().sync_cursor
    assert cursor is not None and new_cursor is not None and new_cursor >= cursor


@pytest.mark.django_db
def test_a_crash_mid_sync_keeps_the_stored_pages_and_the_next_run_resumes(devstore_factory, store_settings):
    with devstore_factory(seed=600, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        store_settings(store)
        client = _client(store)

        def fail_after_the_first_page(result):
            store.fault("http_500", count=50)  # Shopify goes down once the first page is stored

        with pytest.raises(ShopifyTransientError):
            sync.orders_sync_incremental(client=client, on_page=fail_after_the_first_page)
        shop = Shop.objects.get(domain=SHOP_DOMAIN)
        assert Order.objects.count() == 250
        assert shop.sync_cursor == max(o.updated_at_shopify for o in Order.objects.all())
        assert "ShopifyTransientError" in shop.last_sync_error
        assert shop.sync_lease_until is None  # released for the next run
        store._request("DELETE", "/_devstore/faults")  # Shopify is back

        sync.orders_sync_incremental(client=_client(store))

        _assert_mirror_equals(_truth(store))


@pytest.mark.django_db
def test_only_one_sync_of_a_shop_runs_at_a_time(devstore, store_settings, settings):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    devstore.create_order()

    def a_second_sync_meanwhile(result):
        with pytest.raises(sync.SyncAlreadyRunning):
            sync.orders_sync_incremental(client=_client(devstore))

    sync.orders_sync_incremental(client=_client(devstore), on_page=a_second_sync_meanwhile)

    assert Shop.objects.get().sync_lease_until is None


@pytest.mark.slow
@pytest.mark.django_db
def test_a_full_import_of_thousands_of_orders_equals_the_store_row_for_row(devstore_factory, store_settings):
    with devstore_factory(seed=3000, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        store_settings(store)
        progress = []

        result = sync.orders_import_bulk(
            client=_client(store),
            poll_seconds=0.1,
            on_progress=lambda done, total: progress.append((done, total)),
        )

        _assert_mirror_equals(_truth(store))
    assert result.orders == 3000
    assert progress[-1] == (3000, 3000)
    assert LineItem.objects.count() > 3000
    shop = Shop.objects.get(domain=SHOP_DOMAIN)
    assert shop.last_full_import_at is not None and shop.sync_cursor is not None


@pytest.mark.django_db
def test_money_keeps_the_currency_precision_of_the_presentment_currency(devstore, store_settings, settings):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    devstore.create_order(
        email="won@example.com",
        currency="KRW",
        line_items=[{"title": "Tumbler", "quantity": 2, "price": "15000"}],
    )

    sync.orders_sync_incremental(client=_client(devstore))

    order = Order.objects.get(email="won@example.com")
    assert order.presentment_currency == "KRW"
    assert order.line_items.get().unit_price_presentment == Decimal("15000")


GIFT_CARD_AND_DIGITAL_LINES = [
    {"title": "Gift card", "quantity": 1, "price": "50.00", "requires_shipping": False, "gift_card": True},
    {"title": "E-book", "quantity": 1, "price": "9.00", "requires_shipping": False},
    {"title": "Mug", "quantity": 1, "price": "12.00"},
]


def _line_flags() -> dict[str, tuple[bool, bool]]:
    return {line.title: (line.requires_shipping, line.gift_card) for line in LineItem.objects.all()}


@pytest.mark.django_db
def test_a_sync_keeps_which_lines_are_gift_cards_and_which_need_no_shipping(
    devstore, store_settings, settings
):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    devstore.create_order(line_items=GIFT_CARD_AND_DIGITAL_LINES)

    sync.orders_sync_incremental(client=_client(devstore))

    assert _line_flags() == {"Gift card": (False, True), "E-book": (False, False), "Mug": (True, False)}


@pytest.mark.django_db
def test_a_full_import_keeps_which_lines_are_gift_cards_and_which_need_no_shipping(
    devstore, store_settings, settings
):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    devstore.create_order(line_items=GIFT_CARD_AND_DIGITAL_LINES)

    sync.orders_import_bulk(client=_client(devstore), poll_seconds=0.05)

    assert _line_flags() == {"Gift card": (False, True), "E-book": (False, False), "Mug": (True, False)}


@pytest.mark.django_db(transaction=True)
def test_webhooks_from_the_store_keep_the_mirror_fresh_and_sync_heals_the_ones_lost(
    devstore_factory, store_settings, live_server, eager_celery, intake
):
    webhook_url = f"{live_server.url}/shopify/webhooks/"
    options = {
        "webhook_url": webhook_url,
        "webhook_secret": SECRET,
        "extra_args": ["--shop-domain", SHOP_DOMAIN],
    }
    with devstore_factory(**options) as store:
        store_settings(store)
        created = store.create_order(email="hook@example.com")

        order = wait_for(lambda: Order.objects.filter(legacy_id=created["legacy_id"]).first())
        assert order.email == "hook@example.com"

        store.fault("drop_webhooks", count=10)  # Shopify fails to tell us about the fulfilment
        store.fulfill(created["legacy_id"])
        wait_for(lambda: any(w["status"] == "dropped" for w in store.webhooks()), timeout=5)
        assert Order.objects.get(legacy_id=created["legacy_id"]).fulfillment_status == "unfulfilled"

        sync.orders_sync_incremental(client=_client(store))

    assert Order.objects.get(legacy_id=created["legacy_id"]).fulfillment_status == "fulfilled"


def test_sync_orders_refuses_a_since_without_a_time_zone():
    with pytest.raises(CommandError, match="time zone"):
        call_command("sync_orders", "--since", "2026-07-01T00:00:00")


@pytest.mark.django_db
def test_sync_orders_command_syncs_and_reports(devstore, store_settings, settings, capsys):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    store_settings(devstore)
    devstore.create_order()

    call_command("sync_orders")

    assert "1 orders synced (1 new" in capsys.readouterr().out
