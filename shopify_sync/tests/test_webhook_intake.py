"""The Redis intake buffer: what is buffered, what goes straight to the database, and that a drain that
dies, a Redis that is down or a broker that is down loses no delivery and stores none twice."""

from __future__ import annotations

import logging
import time

import pytest
from django.utils import timezone

from shopify_sync.models import WebhookDelivery
from shopify_sync.services.webhooks import webhook_deliveries_store
from shopify_sync.tasks import process_webhook_delivery, webhook_deliveries_retry_unprocessed
from shopify_sync.tests.conftest import SHOP_DOMAIN, celery_app_in_use, queued
from shopify_sync.tests.factories import rest_order
from shopify_sync.webhooks import intake as intake_buffer

pytestmark = pytest.mark.django_db


def test_a_burst_schedules_one_drain_which_stores_every_delivery_in_order(
    post_webhook, redis_intake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        for number in range(30):
            post_webhook("orders/updated", rest_order(order_id=1000 + number), webhook_id=f"burst-{number}")

    assert len(callbacks) == 1  # the first delivery set the drain flag; the other 29 found it set
    assert redis_intake.buffered() == 30

    new_ids = redis_intake.drain()

    stored = list(WebhookDelivery.objects.order_by("pk").values_list("pk", "webhook_id"))
    assert [webhook_id for _, webhook_id in stored] == [f"burst-{number}" for number in range(30)]
    assert new_ids == [pk for pk, _ in stored]
    assert redis_intake.buffered() == 0


def test_after_a_drain_the_next_delivery_schedules_the_next_drain(
    post_webhook, redis_intake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as before:
        post_webhook("orders/updated", rest_order())
    redis_intake.drain()  # deletes the flag before it reads
    with django_capture_on_commit_callbacks() as after:
        post_webhook("orders/updated", rest_order())

    assert (len(before), len(after)) == (1, 1)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("customers/redact", {"shop_domain": SHOP_DOMAIN, "customer": {"id": 1, "email": "a@example.com"}}),
        ("shop/redact", {"shop_id": 1, "shop_domain": SHOP_DOMAIN}),
        ("app/uninstalled", {"id": 1, "myshopify_domain": SHOP_DOMAIN}),
        ("orders/delete", {"id": 1}),
        ("products/update", {"id": 1}),
    ],
    ids=["customers-redact", "shop-redact", "app-uninstalled", "orders-delete", "unknown-topic"],
)
def test_topics_the_sync_cannot_repair_are_stored_in_the_database_before_the_answer(
    post_webhook, redis_intake, topic, payload
):
    response = post_webhook(topic, payload)

    assert response.status_code == 200
    assert redis_intake.buffered() == 0
    assert WebhookDelivery.objects.get().topic == topic


def test_with_redis_unreachable_the_delivery_is_stored_in_the_database(
    post_webhook, settings, django_capture_on_commit_callbacks, caplog
):
    settings.WEBHOOK_INTAKE = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9

    with django_capture_on_commit_callbacks() as callbacks, caplog.at_level(logging.WARNING):
        response = post_webhook("orders/create", rest_order())

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert queued(callbacks) == [(process_webhook_delivery.name, (delivery.pk,))]
    assert "storing delivery" in caplog.text


@pytest.fixture
def broker_down():
    """Shared tasks publish to a Redis port where nothing listens: publishing fails for real."""
    with celery_app_in_use(broker_url="redis://127.0.0.1:9/0"):
        yield


def test_with_the_broker_down_the_delivery_waits_in_the_buffer_and_the_sweep_stores_it(
    post_webhook, redis_intake, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_webhook("orders/create", rest_order(), webhook_id="while-down-1")
    assert first.status_code == 200
    assert redis_intake.buffered() == 1
    # Scheduling the drain failed, so the flag was cleared: the next delivery tries again.
    with django_capture_on_commit_callbacks() as callbacks:
        post_webhook("orders/create", rest_order(), webhook_id="while-down-2")
    assert len(callbacks) == 1

    webhook_deliveries_retry_unprocessed()  # the beat, every minute

    assert redis_intake.buffered() == 0
    assert set(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == {
        "while-down-1",
        "while-down-2",
    }


def test_entries_a_dead_drain_read_are_claimed_by_the_next_drain(post_webhook, redis_intake, monkeypatch):
    post_webhook("orders/create", rest_order(), webhook_id="read-then-lost")
    assert len(intake_buffer.read(consumer="drain-that-died", count=10)) == 1  # read, never acknowledged

    assert redis_intake.drain() == []  # too recent: the first drain may still be working on it
    assert not WebhookDelivery.objects.exists()

    monkeypatch.setattr(intake_buffer, "RECLAIM_AFTER_MS", 50)
    time.sleep(0.1)
    assert len(redis_intake.drain()) == 1
    assert WebhookDelivery.objects.get().webhook_id == "read-then-lost"
    assert redis_intake.buffered() == 0


def test_a_drain_that_died_after_storing_leaves_nothing_stored_twice(post_webhook, redis_intake, monkeypatch):
    post_webhook("orders/create", rest_order(), webhook_id="stored-then-lost")
    entries = intake_buffer.read(consumer="drain-that-died", count=10)
    stored = webhook_deliveries_store(
        deliveries=[intake_buffer.IncomingDelivery.from_stream_fields(fields) for _, fields in entries]
    )
    assert len(stored) == 1  # committed, then the worker died before acknowledging

    monkeypatch.setattr(intake_buffer, "RECLAIM_AFTER_MS", 50)
    time.sleep(0.1)

    assert redis_intake.drain() == []  # claimed again, already stored: nothing new, nothing queued
    assert WebhookDelivery.objects.count() == 1
    assert redis_intake.buffered() == 0


def test_an_unreadable_entry_is_logged_and_dropped_and_the_rest_is_stored(
    post_webhook, redis_intake, settings, caplog
):
    intake_buffer.client().xadd(settings.WEBHOOK_INTAKE_STREAM, {"garbage": "1"})
    post_webhook("orders/create", rest_order(), webhook_id="after-garbage")

    with caplog.at_level(logging.ERROR):
        assert len(redis_intake.drain()) == 1

    assert "unreadable webhook intake entry" in caplog.text
    assert WebhookDelivery.objects.get().webhook_id == "after-garbage"
    assert redis_intake.buffered() == 0


def test_stored_fields_survive_the_round_trip_through_the_stream(redis_intake):
    delivery = intake_buffer.IncomingDelivery(
        webhook_id="round-trip",
        topic="orders/updated",
        shop_domain="shop.myshopify.com",
        api_version="2026-07",
        event_id="event-1",
        triggered_at=None,
        received_at=timezone.now(),
        body='{"note": "한국어 ✓"}'.encode(),
    )
    intake_buffer.append(delivery)

    [(_, fields)] = intake_buffer.read(consumer="test", count=10)

    assert intake_buffer.IncomingDelivery.from_stream_fields(fields) == delivery
