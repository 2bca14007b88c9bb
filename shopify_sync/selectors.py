"""Reads of the mirror that views, admin, tasks and other apps share."""

from __future__ import annotations

from datetime import datetime

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shopify_sync.models import CustomerDataRequest, Shop, ShopAccess, WebhookDelivery
from shopify_sync.webhooks import intake


def configured_shop_domain() -> str:
    return settings.SHOPIFY_SHOP_DOMAIN.strip().lower()


def shop_for_host(host: str) -> Shop | None:
    """The shop whose portal is at `host` (a request's `get_host()`, port and all), if one is."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip().lower().rstrip(".")
    return Shop.objects.filter(portal_host=name).first() if name else None


def shop_ids_of_staff(user) -> list[int] | None:
    """The shops a staff user is limited to in the console, or None for every shop (a superuser, or staff
    listed on no shop: a one-store deployment needs no lists)."""
    if user.is_superuser:
        return None
    return list(Shop.objects.filter(staff=user).values_list("pk", flat=True)) or None


def scoped_to_staff(queryset: QuerySet, user, shop_path: str) -> QuerySet:
    """`queryset` cut to the shops `user` may see; `shop_path` leads from its model to the shop's id."""
    shop_ids = shop_ids_of_staff(user)
    return queryset if shop_ids is None else queryset.filter(**{f"{shop_path}__in": shop_ids})


def shops_served() -> QuerySet[Shop]:
    """The shops this deployment works for: the configured one, and every other that installed the app."""
    return Shop.objects.filter(installed=True).filter(
        Q(domain=configured_shop_domain()) | Q(access__grant=ShopAccess.Grant.AUTHORIZATION_CODE)
    )


def shop_is_served(domain: str) -> bool:
    """Whether a (signed) webhook of `domain` is this deployment's. An uninstalled shop still is: its
    `shop/redact` comes 48 hours after the uninstall."""
    return (
        domain == configured_shop_domain()
        or Shop.objects.filter(domain=domain, access__grant=ShopAccess.Grant.AUTHORIZATION_CODE).exists()
    )


def webhook_secrets() -> list[str]:
    """What may sign a webhook: the app's client secret (Shopify signs with it), then `SHOPIFY_API_SECRET`,
    the older name of the same secret, which may hold old and new while a secret is rotated."""
    found = [settings.SHOPIFY_CLIENT_SECRET, *settings.SHOPIFY_API_SECRET]
    return list(dict.fromkeys(secret for secret in found if secret))


def webhook_intake_backlog() -> int | None:
    """Order webhooks answered but not yet stored (in the Redis intake buffer); None without the buffer
    or when Redis does not answer."""
    if settings.WEBHOOK_INTAKE != "redis":
        return None
    try:
        return intake.backlog()
    except redis.RedisError:
        return None


def webhook_deliveries_due_for_retry(*, received_before: datetime, max_attempts: int, limit: int):
    """Unprocessed deliveries old enough that their own task should have run (broker down, worker died)."""
    return (
        WebhookDelivery.objects.filter(
            processed_at__isnull=True, received_at__lt=received_before, attempts__lt=max_attempts
        )
        .order_by("received_at")
        .only("pk", "attempts", "last_attempt_at")[:limit]
    )


def merchant_recipients(shop: Shop | None) -> list[str]:
    """Who hears about a store's requests and privacy requests: `MERCHANT_NOTIFY_EMAILS` when set, else
    the store's staff (active staff with an address who are listed on the store, or on no store: those
    see every store in the console)."""
    if settings.MERCHANT_NOTIFY_EMAILS:
        return list(settings.MERCHANT_NOTIFY_EMAILS)
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    listed = Q(shops__isnull=True) | (Q(shops=shop) if shop is not None else Q(pk__in=[]))
    return sorted({email.strip().lower() for email in users.filter(listed).values_list("email", flat=True)})


def customer_data_requests_unsent(*, created_before: datetime) -> QuerySet[CustomerDataRequest]:
    """Data requests whose e-mail to the merchant never went out (broker or mail server down); none while
    nobody could receive one."""
    anyone = bool(settings.MERCHANT_NOTIFY_EMAILS) or (
        get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="").exists()
    )
    if not anyone:
        return CustomerDataRequest.objects.none()
    return CustomerDataRequest.objects.filter(emailed_at__isnull=True, created_at__lt=created_before)
