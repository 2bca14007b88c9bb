"""Two webhooks of one order with the same `updated_at` (Shopify's timestamps have second precision) that
disagree: whichever is processed last could be the older. The mirror asks Shopify instead of guessing."""

from __future__ import annotations

import copy

import pytest

from shopify_sync.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(devstore, settings):
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    return devstore


def deliver(post_webhook, django_capture_on_commit_callbacks, topic: str, payload: dict) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(topic, payload).status_code == 200


def test_a_stale_payload_that_ties_is_settled_by_reading_shopify(
    store, post_webhook, eager_celery, django_capture_on_commit_callbacks
):
    created = store.create_order(email="tie@example.com")
    shipped = store.fulfill(created["legacy_id"])
    newest = store.order(created["legacy_id"])
    stale = copy.deepcopy(newest)  # what Shopify said a moment earlier, in the same second
    stale["fulfillment_status"] = None
    for line in stale["line_items"]:
        line["fulfillable_quantity"] = line["quantity"]
    assert shipped  # the devstore answered

    deliver(post_webhook, django_capture_on_commit_callbacks, "orders/fulfilled", newest)
    deliver(post_webhook, django_capture_on_commit_callbacks, "orders/updated", stale)

    order = Order.objects.get(shopify_gid=created["id"])
    assert order.fulfillment_status == "fulfilled"  # Shopify's answer, not the stale payload's


def test_a_repeated_payload_that_agrees_reads_nothing(
    store, post_webhook, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    from shopify_sync import tasks

    refreshed = []
    monkeypatch.setattr(tasks, "orders_refresh_enqueue_on_commit", lambda *args: refreshed.append(args))
    created = store.create_order(email="same@example.com")
    body = store.order(created["legacy_id"])

    deliver(post_webhook, django_capture_on_commit_callbacks, "orders/create", body)
    deliver(post_webhook, django_capture_on_commit_callbacks, "orders/updated", body)

    assert refreshed == []


def test_a_flag_whose_task_was_lost_is_read_by_the_beat(store, eager_celery):
    from shopify_sync.services.mirror import orders_upsert
    from shopify_sync.services.shops import shop_get_or_create_current
    from shopify_sync.tasks import orders_refresh_flagged

    created = store.create_order(email="lost@example.com")
    shop = shop_get_or_create_current()
    from shopify_sync.webhooks.payloads import order_data_from_rest

    stale = order_data_from_rest(store.order(created["legacy_id"]))
    store.fulfill(created["legacy_id"])
    orders_upsert(shop=shop, orders=[stale])
    Order.objects.filter(shopify_gid=created["id"]).update(refresh_requested_at="2026-12-01T00:00:00Z")

    assert orders_refresh_flagged() == 1

    order = Order.objects.get(shopify_gid=created["id"])
    assert order.fulfillment_status == "fulfilled" and order.refresh_requested_at is None
    assert orders_refresh_flagged() == 0
