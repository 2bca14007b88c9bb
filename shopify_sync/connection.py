"""A `ShopifyClient` for a shop: its Admin API address, API version and token source, put together."""

from __future__ import annotations

from django.conf import settings

from shopify_sync.client import ShopifyClient
from shopify_sync.models import Shop
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.tokens import ShopToken, api_base_url


def client_for(shop: Shop | None = None, **options) -> ShopifyClient:
    """The client of `shop` (default: the configured shop). No call to Shopify until it is used."""
    shop = shop or shop_get_or_create_current()
    return ShopifyClient(
        base_url=api_base_url(shop),
        token=ShopToken(shop),
        api_version=settings.SHOPIFY_API_VERSION,
        shop_domain=shop.domain,
        **options,
    )
