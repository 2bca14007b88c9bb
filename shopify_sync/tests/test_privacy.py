"""Mandatory privacy webhooks erase (or gather) what they must, and nothing else."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from shopify_sync.models import Customer, CustomerDataRequest, LineItem, Order, Shop, WebhookDelivery
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.signals import customer_data_requested, customer_redacted
from shopify_sync.tasks import webhook_deliveries_retry_unprocessed
from shopify_sync.tests.conftest import SHOP_DOMAIN
from shopify_sync.tests.factories import (
    CustomerFactory,
    LineItemFactory,
    OrderFactory,
    WebhookDeliveryFactory,
    rest_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(post_webhook, eager_celery, django_capture_on_commit_callbacks):
    def send(topic: str, payload: dict):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(topic, payload).status_code == 200
        return WebhookDelivery.objects.get(topic=topic)

    return send


@pytest.fixture
def shop():
    return shop_get_or_create_current()


@pytest.fixture
def shopper_and_bystander(shop):
    shopper = CustomerFactory(shop=shop, email="ada@example.com", first_name="Ada", last_name="Lovelace")
    own = OrderFactory(shop=shop, customer=shopper)
    LineItemFactory(order=own)
    guest = OrderFactory(shop=shop, customer=None, email="ada@example.com")  # same person, guest checkout
    bystander = CustomerFactory(shop=shop, email="bob@example.com", first_name="Bob")
    other = OrderFactory(shop=shop, customer=bystander)
    WebhookDeliveryFactory(topic="orders/updated", payload={"id": own.legacy_id, "email": "ada@example.com"})
    WebhookDeliveryFactory(
        topic="orders/updated", payload={"id": other.legacy_id, "email": "bob@example.com"}
    )
    return shopper, own, guest, bystander, other


def _redact_payload(customer, order_ids):
    return {
        "shop_id": 954889,
        "shop_domain": SHOP_DOMAIN,
        "customer": {"id": customer.legacy_id, "email": customer.email, "phone": "555-625-1199"},
        "orders_to_redact": order_ids,
    }


def test_customers_redact_erases_the_shoppers_personal_data_and_keeps_the_numbers(
    deliver, shopper_and_bystander
):
    shopper, own, guest, _, _ = shopper_and_bystander
    redacted = []
    customer_redacted.connect(receiver := lambda **kwargs: redacted.append(kwargs))
    try:
        deliver("customers/redact", _redact_payload(shopper, [own.legacy_id]))
    finally:
        customer_redacted.disconnect(receiver)

    for order in (own, guest):
        order.refresh_from_db()
        assert (order.email, order.shipping_address, order.last_payload, order.note) == ("", None, {}, "")
        assert order.total_price == OrderFactory.total_price  # amounts stay for the merchant's figures
    shopper.refresh_from_db()
    assert (shopper.email, shopper.first_name, shopper.last_name) == ("", "", "")
    assert shopper.legacy_id is not None
    assert LineItem.objects.filter(order=own).count() == 1
    stored_copy = WebhookDelivery.objects.get(topic="orders/updated", payload__id__isnull=True)
    assert "ada@example.com" not in json.dumps(stored_copy.payload)
    request = WebhookDelivery.objects.get(topic="customers/redact")
    assert "ada@example.com" not in json.dumps(request.payload)
    [event] = redacted
    assert event["email"] == "ada@example.com"
    assert sorted(event["order_ids"]) == sorted([own.pk, guest.pk])


def test_customers_redact_leaves_other_shoppers_alone(deliver, shopper_and_bystander):
    shopper, own, _, bystander, other = shopper_and_bystander
    other_before = Order.objects.filter(pk=other.pk).values().get()

    deliver("customers/redact", _redact_payload(shopper, [own.legacy_id]))

    assert Order.objects.filter(pk=other.pk).values().get() == other_before
    bystander.refresh_from_db()
    assert (bystander.email, bystander.first_name) == ("bob@example.com", "Bob")
    assert WebhookDelivery.objects.filter(payload__email="bob@example.com").exists()


def test_customers_data_request_assembles_and_emails_what_the_portal_holds(
    deliver, shopper_and_bystander, settings
):
    settings.MERCHANT_NOTIFY_EMAILS = ["privacy@shop.example.com"]
    shopper, own, guest, _, other = shopper_and_bystander
    customer_data_requested.connect(receiver := lambda **kwargs: {"requests": ["cancel #1001"]})
    try:
        deliver(
            "customers/data_request",
            {
                "shop_id": 954889,
                "shop_domain": SHOP_DOMAIN,
                "orders_requested": [own.legacy_id],
                "customer": {"id": shopper.legacy_id, "email": shopper.email, "phone": "555-625-1199"},
                "data_request": {"id": 9999},
            },
        )
    finally:
        customer_data_requested.disconnect(receiver)

    request = CustomerDataRequest.objects.get()
    document = request.document
    assert document["shopify_data_request_id"] == 9999
    assert [c["email"] for c in document["customers"]] == ["ada@example.com"]
    assert {o["id"] for o in document["orders"]} == {own.legacy_id, guest.legacy_id}
    assert other.legacy_id not in {o["id"] for o in document["orders"]}
    assert document["orders"][0]["shipping_address"]["city"] == "London"
    assert {"requests": ["cancel #1001"]} in document["other_records"].values()
    [message] = mail.outbox
    assert message.to == ["privacy@shop.example.com"]
    assert json.loads(message.attachments[0][1]) == document
    assert request.__class__.objects.get().emailed_at is not None


def test_customers_data_request_without_notify_emails_is_kept_for_the_admin(deliver, shopper_and_bystander):
    shopper, own, *_ = shopper_and_bystander

    deliver(
        "customers/data_request",
        {"shop_domain": SHOP_DOMAIN, "customer": {"id": shopper.legacy_id}, "data_request": {"id": 1}},
    )

    assert CustomerDataRequest.objects.get().document["orders"][0]["id"] == own.legacy_id
    assert mail.outbox == []


def test_shop_redact_erases_the_shops_mirror(deliver, shopper_and_bystander, shop):
    Shop.objects.filter(pk=shop.pk).update(sync_cursor="2026-07-01T00:00:00Z")

    deliver("shop/redact", {"shop_id": 954889, "shop_domain": SHOP_DOMAIN})

    assert not Order.objects.exists()
    assert not Customer.objects.exists()
    assert not LineItem.objects.exists()
    assert list(WebhookDelivery.objects.values_list("topic", flat=True)) == ["shop/redact"]
    shop.refresh_from_db()
    assert shop.sync_cursor is None


def test_a_data_request_email_that_never_went_out_is_sent_once_by_the_sweep(
    deliver, shopper_and_bystander, settings
):
    shopper, *_ = shopper_and_bystander
    deliver("customers/data_request", {"shop_domain": SHOP_DOMAIN, "customer": {"id": shopper.legacy_id}})
    assert mail.outbox == []
    settings.MERCHANT_NOTIFY_EMAILS = ["privacy@shop.example.com"]  # configured after it arrived

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        webhook_deliveries_retry_unprocessed.delay()
        webhook_deliveries_retry_unprocessed.delay()

    assert len(mail.outbox) == 1
    assert CustomerDataRequest.objects.get().emailed_at is not None


def test_a_redaction_also_erases_order_webhooks_still_waiting_in_the_intake_buffer(
    post_webhook, deliver, redis_intake, shopper_and_bystander
):
    shopper, own, _, _, _ = shopper_and_bystander
    body = rest_order(order_id=own.legacy_id, email="ada@example.com")
    post_webhook("orders/updated", body, webhook_id="answered-just-before")  # no drain has run yet
    assert redis_intake.buffered() == 1

    deliver("customers/redact", _redact_payload(shopper, [own.legacy_id]))

    assert redis_intake.buffered() == 0
    drained = WebhookDelivery.objects.get(webhook_id="answered-just-before")
    assert "ada@example.com" not in json.dumps(drained.payload)
    own.refresh_from_db()
    assert own.email == ""
