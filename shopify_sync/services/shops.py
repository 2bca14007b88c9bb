"""The shops this portal serves: the configured one, installed ones, and what Shopify says of each."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopify_sync import oauth, tokens
from shopify_sync.models import Shop, ShopAccess
from shopify_sync.scopes import missing_scopes
from shopify_sync.selectors import configured_shop_domain
from shopify_sync.types import ShopData

logger = logging.getLogger(__name__)


def shop_get_or_create_current() -> Shop:
    """The `Shop` row of `settings.SHOPIFY_SHOP_DOMAIN`, created on first use (race-safe: unique domain)."""
    shop, _ = Shop.objects.get_or_create(
        domain=configured_shop_domain(), defaults={"api_version": settings.SHOPIFY_API_VERSION}
    )
    return shop


def shop_for_domain(domain: str) -> Shop:
    """The shop a webhook came from: the configured one (created on first use), or one that installed the
    app. Raises Shop.DoesNotExist for any other (the webhook view refuses those before anything is kept)."""
    if not domain or domain == configured_shop_domain():
        return shop_get_or_create_current()
    return Shop.objects.get(domain=domain)


def shop_update_from_data(*, shop: Shop, data: ShopData) -> Shop:
    """Store what Shopify says about the shop itself (name, time zone, currency)."""
    shop.name = data.name
    shop.iana_timezone = data.iana_timezone or "UTC"
    shop.currency = data.currency
    shop.api_version = settings.SHOPIFY_API_VERSION
    shop.save(update_fields=["name", "iana_timezone", "currency", "api_version", "updated_at"])
    return shop


def shop_connect_installed(*, domain: str, granted: oauth.GrantedToken) -> Shop:
    """An install finished: the shop is served, with the offline token Shopify granted (kept encrypted)."""
    now = timezone.now()
    with transaction.atomic():
        shop, _ = Shop.objects.select_for_update().get_or_create(
            domain=domain, defaults={"api_version": settings.SHOPIFY_API_VERSION}
        )
        shop.installed, shop.uninstalled_at = True, None
        shop.save(update_fields=["installed", "uninstalled_at", "updated_at"])
        access, _ = ShopAccess.objects.get_or_create(
            shop=shop, defaults={"grant": ShopAccess.Grant.AUTHORIZATION_CODE}
        )
        tokens.access_store(access, granted, grant=ShopAccess.Grant.AUTHORIZATION_CODE, now=now)
    return shop


def shop_scopes_record(*, shop: Shop, granted: list[str]) -> list[str]:
    """Keep what the installation is granted now (shown on the shop's admin page); returns the scopes the
    portal needs and lacks, logged as an error: calls needing them will fail until the app is fixed."""
    ShopAccess.objects.filter(shop=shop).update(scopes=sorted(granted), updated_at=timezone.now())
    missing = missing_scopes(granted)
    if missing:
        logger.error("the app lacks scopes on %s: %s (see manage.py shopify_check)", shop.domain, missing)
    return missing


def shop_mark_uninstalled(*, shop: Shop, at: datetime | None = None) -> Shop:
    shop.installed = False
    shop.uninstalled_at = at or timezone.now()
    shop.save(update_fields=["installed", "uninstalled_at", "updated_at"])
    return shop
