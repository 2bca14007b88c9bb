"""The one shop this portal serves."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from shopify_sync.models import Shop
from shopify_sync.selectors import configured_shop_domain
from shopify_sync.types import ShopData


def shop_get_or_create_current() -> Shop:
    """The `Shop` row of `settings.SHOPIFY_SHOP_DOMAIN`, created on first use (race-safe: unique domain)."""
    shop, _ = Shop.objects.get_or_create(
        domain=configured_shop_domain(), defaults={"api_version": settings.SHOPIFY_API_VERSION}
    )
    return shop


def shop_update_from_data(*, shop: Shop, data: ShopData) -> Shop:
    """Store what Shopify says about the shop itself (name, time zone, currency)."""
    shop.name = data.name
    shop.iana_timezone = data.iana_timezone or "UTC"
    shop.currency = data.currency
    shop.api_version = settings.SHOPIFY_API_VERSION
    shop.save(update_fields=["name", "iana_timezone", "currency", "api_version", "updated_at"])
    return shop


def shop_mark_uninstalled(*, shop: Shop, at: datetime | None = None) -> Shop:
    shop.installed = False
    shop.uninstalled_at = at or timezone.now()
    shop.save(update_fields=["installed", "uninstalled_at", "updated_at"])
    return shop
