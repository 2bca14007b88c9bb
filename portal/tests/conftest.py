"""Fixtures of the shopper pages' tests: shoppers with verified addresses, their orders, a clean cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from cancellations.services.policies import policy_get_or_create
from shopify_sync.models import Order, Shop
from shopify_sync.tests.factories import CustomerFactory, LineItemFactory, OrderFactory, ShopFactory

SHOP_DOMAIN = "portal-test.myshopify.com"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Rate limits count in the shared cache (Redis in CI): give each test its own key space."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"} for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def shop_settings(settings):
    settings.SHOPIFY_SHOP_DOMAIN = SHOP_DOMAIN
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


def make_shopper(email: str, *, verified: bool = True, password: str | None = None):
    user = get_user_model().objects.create_user(
        username=email.split("@")[0] + uuid.uuid4().hex[:6], email=email
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture(scope="module")
def devstore() -> Iterator[Any]:
    """A devstore process for the module's pages that read Shopify live (item edits, withdrawals)."""
    from devstore.testing import start_devstore

    store = start_devstore()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def shopify(devstore, settings, shop, policy):
    devstore.reset()
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    return devstore


@pytest.fixture
def shop(db):
    return ShopFactory(domain=SHOP_DOMAIN, iana_timezone="Asia/Seoul", currency="KRW", name="Seoul Goods")


@pytest.fixture
def policy(shop):
    return policy_get_or_create(shop=shop)


@pytest.fixture
def shopper(db):
    return make_shopper("ada@example.com")


@pytest.fixture
def stranger(db):
    return make_shopper("mallory@example.com")


def make_order(shop: Shop, email: str, *, minutes_ago: float = 10, items: int = 2, **fields: Any) -> Order:
    customer = CustomerFactory(shop=shop, email=email)
    defaults: dict[str, Any] = {
        "processed_at": timezone.now() - timedelta(minutes=minutes_ago),
        "currency": "KRW",
        "presentment_currency": "KRW",
        "total_price": Decimal("45000"),
        "total_price_presentment": Decimal("45000"),
        "shipping_address": {
            "first_name": "Ada",
            "last_name": "Lee",
            "company": "",
            "address1": "12 Sejong-daero",
            "address2": "",
            "city": "Seoul",
            "province": "Seoul",
            "province_code": "KR-11",
            "country": "South Korea",
            "country_code": "KR",
            "zip": "03187",
            "phone": "+82212345678",
        },
    }
    defaults.update(fields)
    order = OrderFactory(shop=shop, customer=customer, email=email, **defaults)
    for position in range(items):
        LineItemFactory(
            order=order,
            title=f"Celadon cup {position + 1}",
            unit_price=Decimal("22500"),
            unit_price_presentment=Decimal("22500"),
            currency="KRW",
            presentment_currency="KRW",
            position=position,
        )
    return order


@pytest.fixture
def order(shop, policy, shopper):
    return make_order(shop, "ada@example.com")


# A valid Korean address as the address form posts it (the review step confirmed).
VALID_ADDRESS_POST = {
    "last_name": "Lee",
    "address1": "1 Teheran-ro",
    "city": "Seoul",
    "country": "KR",
    "province": "KR:KR-11",
    "zip": "06236",
    "confirm": "1",
}
