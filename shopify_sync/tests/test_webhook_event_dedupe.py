"""One webhook event is kept and processed once, whatever webhook ids it comes under: Shopify sends an event
once per subscription and may deliver it again ("use X-Shopify-Event-Id to dedupe"). Every copy is answered
200; only the first is stored. Both intakes (database, and the Redis buffer with its drain), a race, the
migration that brings in the constraint, and the devstore sending one event twice end to end."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from devstore.testing import wait_for
from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.services.webhooks import webhook_deliveries_store
from shopify_sync.tasks import process_webhook_delivery
from shopify_sync.tests.conftest import SECRET, SHOP_DOMAIN, queued
from shopify_sync.tests.factories import rest_order
from shopify_sync.webhooks.intake import IncomingDelivery

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and migrations in a test's transaction: PostgreSQL"
)


@pytest.mark.django_db
def test_a_second_webhook_of_one_event_is_answered_but_kept_and_queued_once(
    post_webhook, intake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = post_webhook("orders/updated", rest_order(), webhook_id="hook-1", event_id="event-1")
        again = post_webhook("orders/updated", rest_order(), webhook_id="hook-2", event_id="event-1")
    new_ids = intake.drain()  # Redis: both copies in one batch

    assert (first.status_code, again.status_code) == (200, 200)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook_id, delivery.event_id) == ("hook-1", "event-1")
    if intake.mode == "redis":
        assert new_ids == [delivery.pk] and intake.buffered() == 0
    else:
        assert queued(callbacks) == [(process_webhook_delivery.name, (delivery.pk,))]


@pytest.mark.django_db
def test_a_copy_that_arrives_after_the_first_was_stored_is_dropped_too(post_webhook, intake):
    post_webhook("orders/paid", rest_order(), webhook_id="hook-1", event_id="event-1")
    first_ids = intake.drain()
    again = post_webhook("orders/paid", rest_order(), webhook_id="hook-2", event_id="event-1")

    assert again.status_code == 200
    assert intake.drain() == []  # Redis: the second drain's INSERT skips it
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["hook-1"]
    if intake.mode == "redis":
        assert first_ids == [WebhookDelivery.objects.get().pk] and intake.buffered() == 0


@pytest.mark.django_db
def test_each_event_is_its_own_and_a_delivery_without_an_event_id_is_kept_by_webhook_id(post_webhook, intake):
    post_webhook("orders/updated", rest_order(), webhook_id="a", event_id="event-1")
    post_webhook("orders/paid", rest_order(), webhook_id="b", event_id="event-1")  # another topic
    post_webhook("orders/updated", rest_order(), webhook_id="c", event_id="event-2")
    post_webhook("orders/updated", rest_order(), webhook_id="d", event_id="")
    post_webhook("orders/updated", rest_order(), webhook_id="e", event_id="")
    post_webhook("orders/updated", rest_order(), webhook_id="e", event_id="")  # a retry of "e"
    intake.drain()

    assert sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["a", "b", "c", "d", "e"]


@pytest.mark.django_db
def test_the_event_is_processed_once(post_webhook, intake, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the tasks queued (drain, processing) run
        for webhook_id in ("hook-1", "hook-2", "hook-3"):
            response = post_webhook("orders/create", rest_order(), webhook_id=webhook_id, event_id="event-1")
            assert response.status_code == 200

    delivery = WebhookDelivery.objects.get()
    assert delivery.is_processed and delivery.attempts == 1
    assert Order.objects.count() == 1 and intake.buffered() == 0


def _incoming(webhook_id: str, event_id: str = "event-1") -> IncomingDelivery:
    return IncomingDelivery(
        webhook_id=webhook_id,
        topic="orders/updated",
        shop_domain=SHOP_DOMAIN,
        api_version="2026-07",
        event_id=event_id,
        triggered_at=None,
        received_at=timezone.now(),
        body=json.dumps(rest_order()).encode(),
    )


def _sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_copies_of_one_event_stored_at_the_same_moment_are_kept_once():
    """The first copy's row is written but not committed when the second copy's INSERT runs: the second
    waits on the unique index, then finds the event stored and keeps nothing."""
    first_written, commit_first = threading.Event(), threading.Event()
    stored: dict[str, list[int]] = {}

    def first_copy() -> None:
        try:
            with transaction.atomic():
                stored["first"] = webhook_deliveries_store(deliveries=[_incoming("hook-1")])
                first_written.set()
                commit_first.wait(10)
        finally:
            connection.close()

    def second_copy() -> None:
        first_written.wait(10)
        try:
            stored["second"] = webhook_deliveries_store(deliveries=[_incoming("hook-2")])
        finally:
            connection.close()

    threads = [threading.Thread(target=first_copy), threading.Thread(target=second_copy)]
    for thread in threads:
        thread.start()
    try:
        wait_for(_sessions_waiting_on_a_lock)  # the second INSERT waits for the first transaction
    finally:
        commit_first.set()
        for thread in threads:
            thread.join(10)

    assert len(stored["first"]) == 1 and stored["second"] == []
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["hook-1"]


# -- the migration ---------------------------------------------------------------------------------------

BEFORE = [("shopify_sync", "0007_order_current_total")]
AFTER = [("shopify_sync", "0008_webhook_event_dedupe")]


def _migrate(targets):
    with connection.cursor() as cursor:  # PostgreSQL refuses ALTER TABLE while FK checks are pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_event_dedupe(db):
    apps = _migrate(BEFORE)
    yield apps
    _migrate(AFTER)


@needs_postgresql
def test_the_migration_keeps_every_stored_copy_and_the_oldest_keeps_the_event_id(before_event_dedupe):
    OldDelivery = before_event_dedupe.get_model("shopify_sync", "WebhookDelivery")
    now = timezone.now()
    rows = [  # (webhook id, shop, topic, event id, processed)
        ("a1", SHOP_DOMAIN, "orders/updated", "event-1", True),
        ("a2", SHOP_DOMAIN, "orders/updated", "event-1", False),
        ("a3", SHOP_DOMAIN, "orders/updated", "event-1", True),
        ("b1", SHOP_DOMAIN, "orders/paid", "event-1", True),
        ("c1", "other.myshopify.com", "orders/updated", "event-1", True),
        ("d1", SHOP_DOMAIN, "orders/updated", "", True),
        ("d2", SHOP_DOMAIN, "orders/updated", "", True),
    ]
    for webhook_id, shop_domain, topic, event_id, processed in rows:
        OldDelivery.objects.create(
            webhook_id=webhook_id,
            shop_domain=shop_domain,
            topic=topic,
            event_id=event_id,
            received_at=now,
            processed_at=now if processed else None,
        )

    _migrate(AFTER)

    kept = dict(WebhookDelivery.objects.values_list("webhook_id", "event_id"))
    assert kept == {"a1": "event-1", "a2": "", "a3": "", "b1": "event-1", "c1": "event-1", "d1": "", "d2": ""}
    assert WebhookDelivery.objects.get(webhook_id="a2").processed_at is None  # nothing else changed
    assert webhook_deliveries_store(deliveries=[_incoming("a4")]) == []  # the constraint holds from now


# -- end to end ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_event_the_store_sends_under_two_webhook_ids_is_kept_and_processed_once(
    devstore_factory, live_server, eager_celery, intake, settings
):
    options = {
        "webhook_url": f"{live_server.url}/shopify/webhooks/",
        "webhook_secret": SECRET,
        "extra_args": ["--shop-domain", SHOP_DOMAIN],
    }
    with devstore_factory(**options) as store:
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = store.token
        store.fault("duplicate_event", count=1)

        created = store.create_order(email="twice@example.com")

        answered = wait_for(
            lambda: len([d for d in store.webhooks() if d["status"] == 200]) >= 2 and store.webhooks()
        )
    assert {(d["topic"], d["status"]) for d in answered} == {("orders/create", 200)}
    assert len({d["webhook_id"] for d in answered}) == 2 and len({d["event_id"] for d in answered}) == 1
    wait_for(
        lambda: (
            intake.buffered() == 0
            and WebhookDelivery.objects.exists()
            and not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()
        )
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_id == answered[0]["event_id"] and delivery.attempts == 1
    assert Order.objects.get().legacy_id == created["legacy_id"]
