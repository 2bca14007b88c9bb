"""Races made to happen: two workers on one delivery, and an older payload racing a newer insert."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.services.mirror import UpsertResult, orders_upsert
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.services.webhooks import webhook_delivery_process
from shopify_sync.signals import order_synced
from shopify_sync.tests.factories import (
    T0,
    CustomerDataFactory,
    OrderDataFactory,
    WebhookDeliveryFactory,
    rest_order,
)

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30  # seconds; only reached when the code under test is broken

# pytest-django's SQLite test database lives in memory with a shared cache, where a second connection
# gets "database table is locked" at once instead of waiting as it does on the file database.
needs_waiting_locks = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database cannot make connections wait"
)


def _in_thread(target: Callable[[], object]) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as error:  # surfaced by the test's assertions
            outcome["error"] = error
        finally:
            connection.close()  # each thread has its own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@needs_waiting_locks
def test_two_workers_given_the_same_delivery_process_it_once():
    delivery = WebhookDeliveryFactory(topic="orders/create", payload=rest_order())
    first_inside, second_started = threading.Event(), threading.Event()
    synced = []

    def hold_the_first_worker_inside(**kwargs):
        synced.append(kwargs["order_ids"])
        first_inside.set()
        assert second_started.wait(WAIT)  # the second worker is on its way to the same row

    def second_worker():
        assert first_inside.wait(WAIT)
        second_started.set()
        return webhook_delivery_process(delivery=WebhookDelivery.objects.get(pk=delivery.pk))

    order_synced.connect(hold_the_first_worker_inside)
    try:
        second, second_outcome = _in_thread(second_worker)
        first, first_outcome = _in_thread(lambda: webhook_delivery_process(delivery=delivery))
        first.join(WAIT)
        second.join(WAIT)
    finally:
        order_synced.disconnect(hold_the_first_worker_inside)

    assert "error" not in first_outcome and "error" not in second_outcome, (first_outcome, second_outcome)
    assert sorted([first_outcome["value"], second_outcome["value"]]) == [False, True]
    assert len(synced) == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.error) == (1, "")
    assert Order.objects.count() == 1


@needs_waiting_locks
def test_an_older_payload_cannot_overwrite_a_newer_one_inserted_while_it_was_being_written():
    """The older batch reads "no such order", then the newer one inserts and commits, then the older one
    writes: the guard in its single INSERT … ON CONFLICT statement must refuse the overwrite."""
    shop = shop_get_or_create_current()
    newer = OrderDataFactory(customer=None, updated_at=T0 + timedelta(minutes=5), note="newer")
    older = dataclasses.replace(newer, updated_at=T0, note="older")
    older_about_to_write, newer_committed = threading.Event(), threading.Event()

    def pause_before_writing_orders(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "shopify_sync_order"'):
            older_about_to_write.set()
            assert newer_committed.wait(WAIT)
        return execute(sql, params, many, context)

    def write_older() -> UpsertResult:
        with connection.execute_wrapper(pause_before_writing_orders):
            return orders_upsert(shop=shop, orders=[older])

    def write_newer() -> UpsertResult:
        assert older_about_to_write.wait(WAIT)
        try:
            return orders_upsert(shop=shop, orders=[newer])
        finally:
            newer_committed.set()

    older_thread, older_outcome = _in_thread(write_older)
    newer_thread, newer_outcome = _in_thread(write_newer)
    older_thread.join(WAIT)
    newer_thread.join(WAIT)

    assert "error" not in older_outcome and "error" not in newer_outcome, (older_outcome, newer_outcome)
    assert newer_outcome["value"].created == 1
    assert older_outcome["value"].skipped_stale == 1
    order = Order.objects.get()
    assert (order.note, order.updated_at_shopify) == ("newer", newer.updated_at)


@needs_waiting_locks
def test_a_batch_and_a_webhook_on_one_order_and_customer_do_not_deadlock():
    """A webhook's handler locks its order row, then writes the customer. A batch (the sync) that wrote
    that customer first and only then reached the order would wait for the webhook while the webhook
    waits for it: PostgreSQL kills one. The batch locks its stored rows before any customer."""
    shop = shop_get_or_create_current()
    customer = CustomerDataFactory(
        legacy_id=115310627314723954, gid="gid://shopify/Customer/115310627314723954"
    )
    stored = OrderDataFactory(legacy_id=820982911946154508, customer=customer, updated_at=T0)
    orders_upsert(shop=shop, orders=[stored])
    newer = dataclasses.replace(stored, updated_at=T0 + timedelta(minutes=5), note="from the sync")
    delivery = WebhookDeliveryFactory(
        topic="orders/updated", payload=rest_order(updated_at=T0 + timedelta(minutes=1))
    )
    customers_written, webhook_started = threading.Event(), threading.Event()

    def pause_after_the_customers(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "shopify_sync_customer"'):
            customers_written.set()
            assert webhook_started.wait(WAIT)
            time.sleep(0.5)  # the webhook reaches its first lock meanwhile
        return result

    def sync_batch() -> UpsertResult:
        with connection.execute_wrapper(pause_after_the_customers):
            return orders_upsert(shop=shop, orders=[newer])

    def webhook() -> bool:
        assert customers_written.wait(WAIT)
        webhook_started.set()
        return webhook_delivery_process(delivery=WebhookDelivery.objects.get(pk=delivery.pk))

    batch_thread, batch_outcome = _in_thread(sync_batch)
    webhook_thread, webhook_outcome = _in_thread(webhook)
    batch_thread.join(WAIT)
    webhook_thread.join(WAIT)

    assert "error" not in batch_outcome and "error" not in webhook_outcome, (batch_outcome, webhook_outcome)
    order = Order.objects.get()
    assert (order.note, order.updated_at_shopify) == ("from the sync", newer.updated_at)
    delivery.refresh_from_db()
    assert delivery.error == ""
