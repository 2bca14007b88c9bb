"""Merchant e-mails go to MERCHANT_NOTIFY_EMAILS when set, else to the store's own staff."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from shopify_sync.selectors import merchant_recipients
from shopify_sync.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


def _staff(email: str, *, shops=(), active: bool = True, staff: bool = True):
    user = get_user_model().objects.create_user(username=email, email=email, is_staff=staff, is_active=active)
    user.shops.set(shops)
    return user


def test_the_setting_wins(settings):
    settings.MERCHANT_NOTIFY_EMAILS = ["orders@shop.example"]
    _staff("owner@shop.example")
    assert merchant_recipients(ShopFactory()) == ["orders@shop.example"]


def test_else_the_stores_staff_and_staff_of_every_store(settings):
    settings.MERCHANT_NOTIFY_EMAILS = []
    seoul, busan = ShopFactory(domain="seoul.myshopify.com"), ShopFactory(domain="busan.myshopify.com")
    _staff("Owner@Seoul.example", shops=[seoul])
    _staff("agency@busan.example", shops=[busan])
    _staff("everything@hq.example")  # listed on no store: sees them all
    _staff("gone@seoul.example", shops=[seoul], active=False)
    _staff("shopper@example.com", staff=False)
    assert merchant_recipients(seoul) == ["everything@hq.example", "owner@seoul.example"]
    assert merchant_recipients(busan) == ["agency@busan.example", "everything@hq.example"]
