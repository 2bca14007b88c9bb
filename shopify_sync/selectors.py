"""Reads of the mirror that views, admin, tasks and other apps share."""

from __future__ import annotations

from datetime import datetime

import redis
from django.conf import settings
from django.db.models import QuerySet

from shopify_sync.models import CustomerDataRequest, Order, Shop, WebhookDelivery
from shopify_sync.webhooks import intake


def configured_shop_domain() -> str:
    return settings.SHOPIFY_SHOP_DOMAIN.strip().lower()


def webhook_intake_backlog() -> int | None:
    """Order webhooks answered but not yet stored (in the Redis intake buffer); None without the buffer
    or when Redis does not answer."""
    if settings.WEBHOOK_INTAKE != "redis":
        return None
    try:
        return intake.backlog()
    except redis.RedisError:
        return None


def current_shop() -> Shop | None:
    """The configured shop's row, or None before anything created it (see `shop_get_or_create_current`)."""
    return Shop.objects.filter(domain=configured_shop_domain()).first()


def orders_visible(*, shop: Shop) -> QuerySet[Order]:
    """The shop's orders a person may see: deleted ones (orders/delete) are hidden."""
    return Order.objects.filter(shop=shop, deleted_at__isnull=True)


def orders_for_email(*, shop: Shop, email: str) -> QuerySet[Order]:
    """A shopper's orders by the e-mail on the order, newest first (uses the (email, -processed_at) index)."""
    return orders_visible(shop=shop).filter(email=email.strip().lower()).order_by("-processed_at")


def order_by_legacy_id(*, shop: Shop, legacy_id: int) -> Order | None:
    return orders_visible(shop=shop).filter(legacy_id=legacy_id).select_related("customer").first()


def orders_needing_refresh(*, shop: Shop) -> QuerySet[Order]:
    """Orders an `orders/edited` webhook told us changed, not yet rewritten from a newer order payload."""
    return Order.objects.filter(shop=shop, refresh_requested_at__isnull=False).order_by(
        "refresh_requested_at"
    )


def webhook_deliveries_due_for_retry(*, received_before: datetime, max_attempts: int, limit: int):
    """Unprocessed deliveries old enough that their own task should have run (broker down, worker died)."""
    return (
        WebhookDelivery.objects.filter(
            processed_at__isnull=True, received_at__lt=received_before, attempts__lt=max_attempts
        )
        .order_by("received_at")
        .only("pk", "attempts", "last_attempt_at")[:limit]
    )


def customer_data_requests_unsent(*, created_before: datetime) -> QuerySet[CustomerDataRequest]:
    """Data requests whose e-mail to the merchant never went out (broker or mail server down)."""
    if not settings.MERCHANT_NOTIFY_EMAILS:
        return CustomerDataRequest.objects.none()
    return CustomerDataRequest.objects.filter(emailed_at__isnull=True, created_at__lt=created_before)
