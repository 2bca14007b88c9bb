"""Celery tasks of the mirror: thin, they take primary keys, load, and call one service."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

import redis
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from shopify_sync import sync
from shopify_sync.connection import client_for
from shopify_sync.enqueue import AHEAD_OF_THE_REST, broker_has_backlog, enqueue, enqueue_on_commit
from shopify_sync.errors import ShopifyShopUnavailable, ShopifyTransientError
from shopify_sync.models import CustomerDataRequest, Order, Shop, WebhookDelivery
from shopify_sync.selectors import customer_data_requests_unsent, shops_served
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.services.privacy import customer_data_request_email
from shopify_sync.services.shops import shop_get_or_create_current, shop_scopes_record
from shopify_sync.services.webhooks import (
    WEBHOOK_RETRY_AFTER,
    webhook_deliveries_due_for_retry,
    webhook_deliveries_prune,
    webhook_delivery_process,
    webhook_intake_drain,
)
from shopify_sync.webhooks import intake, topics
from shopify_sync.webhooks.subscriptions import endpoint_url, subscriptions_ensure

logger = logging.getLogger(__name__)

# The database going away is worth retrying soon; anything else is recorded on the delivery by the
# service and retried by the sweep below.
_TRANSIENT = (OperationalError, InterfaceError)


@shared_task(autoretry_for=(*_TRANSIENT, redis.RedisError), retry_backoff=True, max_retries=5)
def process_webhook_delivery(delivery_id: int) -> bool:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:  # erased by shop/redact since it was queued
        return False
    if (
        delivery.topic in topics.REDACTIONS
        and settings.WEBHOOK_INTAKE == "redis"
        and not delivery.is_processed
    ):
        # Order webhooks answered before the redaction may still wait in the intake buffer: stored first,
        # they are erased with the rest (a redaction waits for Redis rather than miss them).
        drain_webhook_intake()
    return webhook_delivery_process(delivery=delivery)


@shared_task(autoretry_for=(*_TRANSIENT, redis.RedisError), retry_backoff=True, max_retries=8)
def drain_webhook_intake() -> int:
    """Move the Redis intake buffer into the database and queue each new delivery's processing."""
    return webhook_intake_drain(consumer=intake.consumer_name(), on_stored=_enqueue_each)


def _enqueue_each(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        webhook_delivery_enqueue_on_commit(delivery_id)


@shared_task
def webhook_deliveries_retry_unprocessed() -> int:
    """Beat, every minute: drain what a lost drain task left in the intake buffer, queue deliveries whose
    own task never ran or failed (broker down, crash), and the merchant e-mails of `customers/data_request`
    deliveries that never went out."""
    if settings.WEBHOOK_INTAKE == "redis":
        try:
            drain_webhook_intake()
        except redis.RedisError:
            logger.warning("webhook intake buffer unavailable; draining it at the next sweep", exc_info=True)
    if broker_has_backlog():  # what it would re-queue is most likely waiting in the queue already
        return 0
    due = webhook_deliveries_due_for_retry()
    for delivery_id in due:
        enqueue(process_webhook_delivery, delivery_id)
    unsent = customer_data_requests_unsent(created_before=timezone.now() - WEBHOOK_RETRY_AFTER)
    for data_request_id in unsent.values_list("pk", flat=True)[:100]:
        enqueue(email_customer_data_request, data_request_id)
    return len(due)


@shared_task
def webhook_deliveries_prune_old() -> int:
    """Beat, daily: processed deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS go (0 keeps all)."""
    days = settings.WEBHOOK_DELIVERY_RETENTION_DAYS
    if days <= 0:
        return 0
    return webhook_deliveries_prune(received_before=timezone.now() - timedelta(days=days))


@shared_task(autoretry_for=(*_TRANSIENT, OSError), retry_backoff=True, max_retries=8)
def email_customer_data_request(data_request_id: int) -> bool:
    data_request = CustomerDataRequest.objects.filter(pk=data_request_id).first()
    if data_request is None:
        return False
    return customer_data_request_email(data_request=data_request)


@shared_task(
    autoretry_for=(*_TRANSIENT, ShopifyTransientError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    priority=AHEAD_OF_THE_REST,  # a mirror known to be wrong is put right before more webhooks are read
)
def orders_refresh(shop_id: int, gids: list[str]) -> int:
    """Read orders from Shopify and write them to the mirror: how two webhooks that disagree at the same
    `updated_at` are settled (`services.webhooks`). Clears their flag. Returns how many were read."""
    started = timezone.now()
    shop = Shop.objects.get(pk=shop_id)
    client = client_for(shop)
    found = [data for gid in gids if (data := client.order(gid)) is not None]
    if found:
        orders_upsert(shop=shop, orders=found)
    Order.objects.filter(shop=shop, shopify_gid__in=gids, refresh_requested_at__lte=started).update(
        refresh_requested_at=None
    )
    return len(found)


@shared_task(priority=AHEAD_OF_THE_REST)
def orders_refresh_flagged(limit: int = 200) -> int:
    """Every minute: the flagged orders whose refresh task was lost (the broker was down), per shop."""
    flagged = Order.objects.filter(refresh_requested_at__isnull=False).values_list("shop_id", "shopify_gid")[
        :limit
    ]
    by_shop: dict[int, list[str]] = {}
    for shop_id, gid in flagged:
        by_shop.setdefault(shop_id, []).append(gid)
    for shop_id, gids in by_shop.items():
        enqueue(orders_refresh, shop_id, gids)
    return sum(len(gids) for gids in by_shop.values())


def orders_refresh_enqueue_on_commit(shop_id: int, gids: list[str]) -> None:
    enqueue_on_commit(orders_refresh, shop_id, gids)


def webhook_delivery_enqueue_on_commit(delivery_id: int) -> None:
    """Queue a stored delivery's processing once committed; what the broker refuses, the retry sweep
    (`webhook_deliveries_retry_unprocessed`) sends."""
    enqueue_on_commit(process_webhook_delivery, delivery_id)


def webhook_intake_drain_enqueue_on_commit() -> None:
    """Schedule a drain of the intake buffer (asked by the delivery that set the drain flag). If the broker
    refuses, the flag is cleared so that the next delivery asks again; the beat drains anyway."""
    enqueue_on_commit(drain_webhook_intake, on_failure=_clear_drain_flag)


def _clear_drain_flag() -> None:
    with contextlib.suppress(redis.RedisError):
        intake.clear_drain_flag()


def customer_data_request_email_enqueue_on_commit(data_request_id: int) -> None:
    enqueue_on_commit(email_customer_data_request, data_request_id)


@shared_task(
    autoretry_for=(ShopifyTransientError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    ignore_result=False,
)
def sync_orders_incremental(shop_id: int | None = None) -> int:
    """Beat, every few minutes (and once when a worker starts): fetch orders changed since the cursor.
    Heals whatever webhooks were lost. A sync already running elsewhere makes this one a no-op. Without
    `shop_id`, one task per shop served is queued (the configured shop is synced here). A frozen, locked or
    closed shop is logged once per run and not retried: the next beat tries again."""
    shop = _shop_or_fan_out(sync_orders_incremental, shop_id)
    if shop is None or not shop.installed:  # uninstalled: Shopify would refuse; the admin says so
        return 0
    try:
        return sync.orders_sync_incremental(shop=shop).orders
    except sync.SyncAlreadyRunning:
        return 0
    except ShopifyShopUnavailable as exc:  # kept on the shop too (last_sync_error) for the admin
        logger.warning("orders of %s not synced: %s", shop.domain, exc)
        return 0


@shared_task(autoretry_for=(ShopifyTransientError,), retry_backoff=5, retry_backoff_max=300, max_retries=5)
def webhook_subscriptions_verify(shop_id: int | None = None) -> int:
    """Beat, every few hours (and once when a worker starts): subscribe every topic Shopify has no
    subscription for at this deployment's address (made on connect; Shopify deletes one whose deliveries
    keep failing), then catch up with a sync on what no webhook brought meanwhile."""
    shop = _shop_or_fan_out(webhook_subscriptions_verify, shop_id)
    url = endpoint_url()
    if shop is None or not shop.installed or not url:
        if not url:
            logger.warning("webhook subscriptions not checked: set PORTAL_BASE_URL to the portal's address")
        return 0
    client = client_for(shop)
    try:
        shop_scopes_record(shop=shop, granted=client.access_scopes())
        created = subscriptions_ensure(client, url)
    except ShopifyShopUnavailable as exc:
        logger.warning("webhook subscriptions of %s not checked: %s", shop.domain, exc)
        return 0
    if created:
        logger.warning("webhook subscriptions of %s re-created: %s", shop.domain, ", ".join(created))
        enqueue(sync_orders_incremental, shop.pk)
    return len(created)


def _shop_or_fan_out(task, shop_id: int | None) -> Shop | None:
    """The shop a per-shop task works on. Without an id (beat): the configured shop, after queueing the
    same task for every other shop the deployment serves."""
    if shop_id is not None:
        return Shop.objects.filter(pk=shop_id).first()
    current = shop_get_or_create_current()
    for other_id in shops_served().exclude(pk=current.pk).values_list("pk", flat=True):
        enqueue(task, other_id)
    return current


def shop_connected_enqueue(shop_id: int) -> None:
    """A shop just installed the app: subscribe its webhooks (which queues its first sync) once committed."""
    enqueue_on_commit(webhook_subscriptions_verify, shop_id)
    enqueue_on_commit(sync_orders_incremental, shop_id)


@worker_ready.connect
def _connect_when_a_worker_starts(sender, **kwargs) -> None:
    # A new install (or `make run`) shows orders at once instead of after the first beat interval, and
    # its webhook subscriptions are made without an operator's command.
    sync_orders_incremental.delay()
    webhook_subscriptions_verify.delay()
