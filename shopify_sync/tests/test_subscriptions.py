"""Webhook subscriptions made on connect and made again when Shopify has deleted them."""

from __future__ import annotations

import pytest

from shopify_sync.models import Order
from shopify_sync.services.shops import shop_get_or_create_current, shop_mark_uninstalled
from shopify_sync.tasks import webhook_subscriptions_verify
from shopify_sync.tests.test_shopify_check import WEBHOOK_URL, connect
from shopify_sync.webhooks.subscriptions import TOPICS, endpoint_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(devstore, settings, eager_celery):
    connect(settings, devstore)
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    return devstore


def subscribed(store) -> set[tuple[str, str]]:
    answer = store.graphql("{ webhookSubscriptions(first: 50) { nodes { topic uri } } }")
    return {(n["topic"], n["uri"]) for n in answer["data"]["webhookSubscriptions"]["nodes"]}


def test_the_address_comes_from_portal_base_url(settings):
    settings.PORTAL_BASE_URL = "https://help.store-a.com/"
    assert endpoint_url() == "https://help.store-a.com/shopify/webhooks/"


def test_missing_subscriptions_are_made_and_a_catch_up_sync_brings_what_was_missed(connected):
    connected.create_order(email="missed@example.com")  # while no subscription existed

    created = webhook_subscriptions_verify.delay().get()

    assert created == len(TOPICS)
    assert subscribed(connected) == {(topic, WEBHOOK_URL) for topic in TOPICS}
    assert Order.objects.filter(email="missed@example.com").exists()


def test_a_deployment_with_every_subscription_in_place_changes_nothing(connected):
    webhook_subscriptions_verify.delay().get()
    before = subscribed(connected)

    assert webhook_subscriptions_verify.delay().get() == 0
    assert subscribed(connected) == before


def test_an_uninstalled_shop_is_left_alone(connected):
    shop_mark_uninstalled(shop=shop_get_or_create_current())

    assert webhook_subscriptions_verify.delay().get() == 0
    assert subscribed(connected) == set()


def test_the_check_records_what_the_installation_is_granted_and_names_what_is_missing(
    devstore_factory, settings, eager_celery, caplog
):
    from shopify_sync.models import ShopAccess

    with devstore_factory(scopes="read_orders,write_orders,read_customers") as store:
        connect(settings, store)
        settings.PORTAL_BASE_URL = "https://portal.example.com"

        webhook_subscriptions_verify.delay().get()

    access = ShopAccess.objects.get()
    assert access.scopes == ["read_customers", "read_orders", "write_orders"]
    missing = (
        "['read_all_orders', 'write_order_edits', 'read_products', 'write_gift_cards', 'write_returns', "
        "'write_merchant_managed_fulfillment_orders', 'write_third_party_fulfillment_orders']"
    )
    assert f"the app lacks scopes on devstore.myshopify.com: {missing}" in caplog.text
