"""Ownership: a shopper sees the orders carrying one of their verified addresses, and no others."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from cancellations.selectors import orders_for_shopper, verified_emails
from cancellations.tests.factories import OrderFactory, ShopperFactory
from shopify_sync.tests.factories import CustomerFactory


def test_a_shopper_owns_orders_by_the_order_email_or_the_customer_email(shop, shopper):
    by_email = OrderFactory(shop=shop, customer=None, email=shopper.email)
    by_customer = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, email=shopper.email), email="")
    OrderFactory(shop=shop, customer=None, email="someone.else@example.com")

    assert set(orders_for_shopper(shopper)) == {by_email, by_customer}


def test_unverified_addresses_own_nothing(shop, db):
    shopper = ShopperFactory(verified=False)
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=False, primary=True)
    OrderFactory(shop=shop, customer=None, email=shopper.email)

    assert verified_emails(shopper) == set()
    assert not orders_for_shopper(shopper).exists()


def test_every_verified_address_counts_whatever_its_case(shop, shopper):
    EmailAddress.objects.create(user=shopper, email="Second@Example.COM", verified=True)
    order = OrderFactory(shop=shop, customer=None, email="second@example.com")

    assert "second@example.com" in verified_emails(shopper)
    assert list(orders_for_shopper(shopper)) == [order]


def test_orders_shopify_deleted_are_hidden(shop, shopper):
    from django.utils import timezone

    OrderFactory(shop=shop, customer=None, email=shopper.email, deleted_at=timezone.now())

    assert not orders_for_shopper(shopper).exists()


def test_without_allauth_the_user_email_is_trusted(shop, shopper, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.startswith("allauth")]
    shopper.email = "Plain@Example.com"

    assert verified_emails(shopper) == {"plain@example.com"}


def test_anonymous_visitors_own_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert not orders_for_shopper(AnonymousUser()).exists()
