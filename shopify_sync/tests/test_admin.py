"""The mirror's admin: readable, not editable, lists in a constant number of queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.tests.factories import LineItemFactory, OrderFactory, WebhookDeliveryFactory, rest_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return shop_get_or_create_current()


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response
    return len(captured.captured_queries)


@pytest.mark.parametrize("model", ["order", "customer", "webhookdelivery", "shop"])
def test_lists_cost_the_same_queries_for_3_rows_as_for_30(admin_client, shop, model):
    url = reverse(f"admin:shopify_sync_{model}_changelist")
    for _ in range(3):
        WebhookDeliveryFactory(shop=shop)
        LineItemFactory(order=OrderFactory(shop=shop))
    few = _queries_for(admin_client, url)
    for _ in range(27):
        WebhookDeliveryFactory(shop=shop)
        LineItemFactory(order=OrderFactory(shop=shop))

    assert _queries_for(admin_client, url) == few


def test_an_order_page_shows_its_line_items_and_cannot_be_changed(admin_client, shop):
    order = OrderFactory(shop=shop)
    LineItemFactory(order=order, title="Blue mug")

    page = admin_client.get(reverse("admin:shopify_sync_order_change", args=[order.pk]))

    assert page.status_code == 200
    assert b"Blue mug" in page.content
    assert b'name="_save"' not in page.content
    assert (
        admin_client.post(reverse("admin:shopify_sync_order_change", args=[order.pk]), {}).status_code == 403
    )
    assert admin_client.get(reverse("admin:shopify_sync_order_add")).status_code == 403
    assert admin_client.get(reverse("admin:shopify_sync_order_delete", args=[order.pk])).status_code == 403


def test_orders_are_searchable_by_name_and_email(admin_client, shop):
    OrderFactory(shop=shop, name="#4242", email="find.me@example.com")
    OrderFactory(shop=shop, name="#1111", email="other@example.com")

    for term in ("4242", "find.me@example.com"):
        page = admin_client.get(reverse("admin:shopify_sync_order_changelist"), {"q": term})
        assert list(page.context["cl"].queryset.values_list("name", flat=True)) == ["#4242"]


def test_deliveries_filter_by_outcome(admin_client):
    WebhookDeliveryFactory(webhook_id="done", processed_at="2026-07-01T00:00:00Z")
    WebhookDeliveryFactory(webhook_id="waiting")
    WebhookDeliveryFactory(webhook_id="failed", error="PayloadError: no id")

    def listed(outcome):
        page = admin_client.get(
            reverse("admin:shopify_sync_webhookdelivery_changelist"), {"outcome": outcome}
        )
        return sorted(page.context["cl"].queryset.values_list("webhook_id", flat=True))

    assert listed("processed") == ["done"]
    assert listed("unprocessed") == ["failed", "waiting"]
    assert listed("error") == ["failed"]


def test_process_again_queues_the_delivery_after_commit(
    admin_client, eager_celery, django_capture_on_commit_callbacks
):
    failed = WebhookDeliveryFactory(topic="orders/create", payload=rest_order(), attempts=10, error="boom")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:shopify_sync_webhookdelivery_changelist"),
            {"action": "process_again", "_selected_action": [failed.pk]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.is_processed
    assert (failed.attempts, failed.error) == (1, "")
    assert Order.objects.count() == 1


def test_staff_without_the_change_permission_cannot_process_again(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(staff)

    page = client.get(reverse("admin:shopify_sync_webhookdelivery_changelist"))

    assert page.status_code == 200
    assert "process_again" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert WebhookDelivery.objects.count() == 0


def test_the_deliveries_page_says_how_many_webhooks_wait_in_the_intake_buffer(
    admin_client, post_webhook, redis_intake
):
    url = reverse("admin:shopify_sync_webhookdelivery_changelist")
    for number in range(3):
        post_webhook("orders/updated", rest_order(), webhook_id=f"waiting-{number}")

    waiting = admin_client.get(url)
    redis_intake.drain()
    drained = admin_client.get(url)

    assert "3 order webhooks are answered and waiting in the Redis intake buffer" in waiting.text
    assert "intake buffer" not in drained.text
    assert WebhookDelivery.objects.count() == 3


def test_an_order_page_shows_its_fulfilment_orders_read_only(admin_client, shop):
    from shopify_sync.tests.factories import FulfillmentOrderFactory

    order = OrderFactory(shop=shop)
    FulfillmentOrderFactory(
        order=order,
        status="on_hold",
        location_name="Seoul warehouse",
        holds=[
            {
                "id": "gid://shopify/FulfillmentHold/1",
                "handle": "self-service-window",
                "reason": "other",
                "ours": True,
            },
            {
                "id": "gid://shopify/FulfillmentHold/2",
                "handle": "",
                "reason": "awaiting_payment",
                "ours": False,
            },
        ],
        source="fulfillment_orders/placed_on_hold",
    )

    page = admin_client.get(reverse("admin:shopify_sync_order_change", args=[order.pk])).content.decode()

    assert "Fulfilment orders" in page and "On hold" in page and "Seoul warehouse" in page
    assert "other (self-service-window) ours; awaiting payment" in page
    assert "fulfillment_orders/placed_on_hold" in page
    assert 'name="fulfillment_orders-0-status"' not in page  # nothing to edit
