"""Processing stored deliveries: through the endpoint and Celery (eager here), exactly once, in order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from devstore.testing import wait_for
from shopify_sync.models import LineItem, Order, Shop, WebhookDelivery
from shopify_sync.services.webhooks import WEBHOOK_MAX_ATTEMPTS, webhook_delivery_process
from shopify_sync.signals import bulk_operation_finished, order_synced
from shopify_sync.tasks import (
    process_webhook_delivery,
    webhook_deliveries_prune_old,
    webhook_deliveries_retry_unprocessed,
)
from shopify_sync.tests.conftest import SECRET, SHOP_DOMAIN
from shopify_sync.tests.factories import T0, WebhookDeliveryFactory, rest_line_item, rest_order

pytestmark = pytest.mark.django_db

REFUND = """mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) { refund { id } userErrors { field message } }
}"""


@pytest.fixture
def deliver(post_webhook, eager_celery, django_capture_on_commit_callbacks):
    """Send a webhook and let its task run, as the endpoint and a worker would."""

    def send(topic: str, payload: dict, **options):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(topic, payload, **options)
        assert response.status_code == 200
        return response

    return send


def test_a_signed_webhook_creates_then_updates_an_order(deliver):
    deliver("orders/create", rest_order())
    order = Order.objects.get()
    assert (order.name, order.email, order.fulfillment_status) == ("#9999", "jon@example.com", "unfulfilled")
    assert order.customer is not None and order.customer.email == "jon@example.com"
    assert order.line_items.get().sku == "MUG-BLUE"

    deliver(
        "orders/fulfilled",
        rest_order(
            updated_at=T0 + timedelta(minutes=2),
            fulfillment_status="fulfilled",
            line_items=[rest_line_item(fulfillable_quantity=0)],
        ),
    )

    order.refresh_from_db()
    assert order.fulfillment_status == "fulfilled"
    assert order.line_items.get().unfulfilled_quantity == 0
    assert Order.objects.count() == 1
    assert WebhookDelivery.objects.filter(processed_at__isnull=False).count() == 2


def test_a_webhook_keeps_which_lines_are_gift_cards_and_which_need_no_shipping(deliver):
    deliver(
        "orders/create",
        rest_order(
            line_items=[
                rest_line_item(line_id=1, title="Gift card", requires_shipping=False, gift_card=True),
                rest_line_item(line_id=2, title="E-book", requires_shipping=False, gift_card=False),
            ]
        ),
    )

    lines = {line.title: (line.requires_shipping, line.gift_card) for line in LineItem.objects.all()}
    assert lines == {"Gift card": (False, True), "E-book": (False, False)}


def test_an_older_update_delivered_after_a_newer_one_changes_nothing(deliver):
    deliver("orders/cancelled", rest_order(updated_at=T0 + timedelta(minutes=5), cancelled_at=T0.isoformat()))
    deliver("orders/updated", rest_order(updated_at=T0, note="from before the cancel"))

    order = Order.objects.get()
    assert order.is_cancelled
    assert order.note == "ring twice"
    assert WebhookDelivery.objects.filter(processed_at__isnull=True).count() == 0  # stale is not an error


def _refund(amount: str, *, status: str = "success", currency: str = "USD") -> dict:
    """A refund as an order body carries it (REST Refund: the transactions that paid money back)."""
    return {
        "id": 929361462,
        "admin_graphql_api_id": "gid://shopify/Refund/929361462",
        "order_id": rest_order()["id"],
        "refund_line_items": [],
        "transactions": [
            {
                "id": 1,
                "kind": "refund",
                "status": status,
                "amount": amount,
                "currency": currency,
                "parent_id": 2,
            }
        ],
    }


def test_a_webhook_with_a_partial_refund_shows_it_in_the_mirror_at_once(deliver):
    deliver("orders/create", rest_order())

    deliver(
        "orders/updated",
        rest_order(
            updated_at=T0 + timedelta(minutes=3),
            financial_status="partially_refunded",
            refunds=[_refund("10.00"), _refund("4.00", status="failure")],
        ),
    )

    order = Order.objects.get()
    assert (order.financial_status, order.total_refunded) == ("partially_refunded", Decimal("10.00"))


def test_a_webhook_without_refunds_keeps_reading_the_refunded_total_as_before(deliver):
    body = rest_order(financial_status="paid")
    del body["refunds"]

    deliver("orders/create", body)

    order = Order.objects.get()
    assert (order.financial_status, order.total_refunded) == ("paid", Decimal("0"))


@pytest.mark.django_db(transaction=True)
def test_a_refund_made_in_the_store_reaches_the_mirror_by_webhook_before_any_sync(
    devstore_factory, live_server, eager_celery
):
    options = {
        "webhook_url": f"{live_server.url}/shopify/webhooks/",
        "webhook_secret": SECRET,
        "extra_args": ["--shop-domain", SHOP_DOMAIN],
    }
    with devstore_factory(**options) as store:
        created = store.create_order(
            currency="USD", line_items=[{"title": "Mug", "quantity": 2, "price": "15.00"}]
        )
        wait_for(lambda: Order.objects.filter(legacy_id=created["legacy_id"]).exists())
        sale = store.graphql(
            "query($id: ID!) { order(id: $id) { transactions { id } } }", {"id": created["id"]}
        )["data"]["order"]["transactions"][0]["id"]
        refund = {
            "orderId": created["id"],
            "transactions": [
                {
                    "orderId": created["id"],
                    "kind": "REFUND",
                    "gateway": "manual",
                    "amount": "12.50",
                    "parentId": sale,
                }
            ],
        }
        answer = store.graphql(REFUND, {"input": refund, "key": "mirror-refund"})["data"]["refundCreate"]
        assert answer["userErrors"] == []

        order = wait_for(
            lambda: Order.objects.filter(legacy_id=created["legacy_id"], total_refunded__gt=0).first()
        )

    assert (order.financial_status, order.total_refunded) == ("partially_refunded", Decimal("12.50"))


def test_the_same_delivery_twice_is_processed_once(deliver):
    synced = []
    order_synced.connect(receiver := lambda **kwargs: synced.append(kwargs["order_ids"]))
    try:
        deliver("orders/create", rest_order(), webhook_id="retry-of-one-delivery")
        deliver("orders/create", rest_order(), webhook_id="retry-of-one-delivery")
        delivery = WebhookDelivery.objects.get()
        assert process_webhook_delivery.delay(delivery.pk).get() is False  # a duplicate task finds it done
    finally:
        order_synced.disconnect(receiver)

    assert len(synced) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_orders_delete_hides_the_order(deliver):
    deliver("orders/create", rest_order())
    deliver("orders/delete", {"id": rest_order()["id"]})

    assert Order.objects.get().deleted_at is not None


def test_an_orders_edited_body_is_kept_but_changes_nothing(deliver):
    # It describes the edit, not the order: the `orders/updated` Shopify sends with it carries the change.
    deliver("orders/create", rest_order())
    before = Order.objects.values().get()
    edit = {
        "order_edit": {
            "id": 78912328,
            "app_id": None,
            "created_at": "2026-07-01T18:30:00+09:00",
            "committed_at": "2026-07-01T18:31:00+09:00",
            "notify_customer": False,
            "order_id": rest_order()["id"],
            "staff_note": "",
            "user_id": None,
            "line_items": {"additions": [{"id": 1, "delta": 1}], "removals": []},
        }
    }

    deliver("orders/edited", edit)

    assert Order.objects.values().get() == before
    assert WebhookDelivery.objects.get(topic="orders/edited").is_processed


def test_app_uninstalled_marks_the_shop(deliver):
    deliver(
        "app/uninstalled",
        {"id": 548380009, "name": "Demo", "domain": "shop.example.com", "myshopify_domain": SHOP_DOMAIN},
    )

    shop = Shop.objects.get()
    assert not shop.installed
    assert shop.uninstalled_at is not None


def test_bulk_operations_finish_tells_the_bulk_import(deliver):
    received = []
    bulk_operation_finished.connect(receiver := lambda **kwargs: received.append(kwargs))
    try:
        deliver(
            "bulk_operations/finish",
            {
                "admin_graphql_api_id": "gid://shopify/BulkOperation/147595010",
                "completed_at": "2026-07-01T18:00:00+09:00",
                "created_at": "2026-07-01T17:58:00+09:00",
                "error_code": None,
                "status": "completed",
                "type": "query",
            },
        )
    finally:
        bulk_operation_finished.disconnect(receiver)

    [event] = received
    assert event["admin_graphql_api_id"] == "gid://shopify/BulkOperation/147595010"
    assert event["status"] == "completed"
    assert event["shop"].domain == Shop.objects.get().domain
    assert WebhookDelivery.objects.get().is_processed


def test_an_unreadable_order_body_is_recorded_and_not_retried_by_the_sweep(deliver):
    deliver("orders/updated", {**rest_order(order_id=1), "updated_at": "not a time"})

    delivery = WebhookDelivery.objects.get()
    assert delivery.processed_at is None
    assert "PayloadError" in delivery.error
    assert delivery.attempts == WEBHOOK_MAX_ATTEMPTS
    assert not Order.objects.exists()


def test_a_failing_receiver_rolls_the_delivery_back_for_a_retry(deliver):
    def failing(**kwargs):
        raise RuntimeError("the request domain is down")

    order_synced.connect(failing)
    try:
        deliver("orders/create", rest_order())
    finally:
        order_synced.disconnect(failing)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.processed_at, delivery.attempts) == (None, 1)
    assert "the request domain is down" in delivery.error
    assert not Order.objects.exists()  # rolled back with the delivery


def test_the_sweep_processes_deliveries_whose_task_never_ran(eager_celery):
    with time_machine.travel(T0, tick=False):
        lost = WebhookDeliveryFactory(topic="orders/create", payload=rest_order(), received_at=timezone.now())
        assert webhook_deliveries_retry_unprocessed.delay().get() == 0  # too young: its own task may run

    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert webhook_deliveries_retry_unprocessed.delay().get() == 1

    lost.refresh_from_db()
    assert lost.is_processed
    assert Order.objects.count() == 1


def test_the_sweep_backs_off_after_failures(eager_celery):
    failed = WebhookDeliveryFactory(
        topic="orders/create",
        payload=rest_order(),
        received_at=T0,
        attempts=3,
        last_attempt_at=T0,
    )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert webhook_deliveries_retry_unprocessed.delay().get() == 0  # 8 minutes after 3 failures
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        assert webhook_deliveries_retry_unprocessed.delay().get() == 1

    failed.refresh_from_db()
    assert failed.is_processed


def test_processing_a_delivery_erased_since_it_was_queued_does_nothing(eager_celery):
    assert process_webhook_delivery.delay(123456).get() is False


def test_an_ignored_topic_stays_processed_and_untouched():
    delivery = WebhookDeliveryFactory(topic="products/update", processed_at=timezone.now())

    assert webhook_delivery_process(delivery=delivery) is False


def test_the_daily_prune_deletes_old_processed_deliveries_and_keeps_the_rest(settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    now = timezone.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    WebhookDeliveryFactory(webhook_id="old-processed", received_at=old, processed_at=old)
    WebhookDeliveryFactory(webhook_id="old-unprocessed", received_at=old, error="PayloadError: no id")
    WebhookDeliveryFactory(
        webhook_id="old-redact", topic="customers/redact", received_at=old, processed_at=old
    )
    WebhookDeliveryFactory(webhook_id="recent-processed", received_at=recent, processed_at=recent)

    assert webhook_deliveries_prune_old() == 1

    kept = set(WebhookDelivery.objects.values_list("webhook_id", flat=True))
    assert kept == {"old-unprocessed", "old-redact", "recent-processed"}


def test_a_retention_of_zero_keeps_every_delivery(settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 0
    long_ago = timezone.now() - timedelta(days=3650)
    WebhookDeliveryFactory(received_at=long_ago, processed_at=long_ago)

    assert webhook_deliveries_prune_old() == 0
    assert WebhookDelivery.objects.count() == 1
