"""`customers/redact` takes the shopper's account with it (the user and its e-mail rows); staff are kept."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from portal.tests.conftest import make_order, make_shopper
from shopify_sync.signals import customer_redacted

pytestmark = pytest.mark.django_db


def _redact(shop, email, order_ids=()):
    customer_redacted.send(
        sender=None, shop=shop, customer_legacy_id=None, email=email, order_ids=list(order_ids)
    )


def test_the_shoppers_account_goes(shop, shopper, stranger):
    order = make_order(shop, shopper.email)
    _redact(shop, "ADA@example.com", [order.pk])
    assert not get_user_model().objects.filter(pk=shopper.pk).exists()
    assert not EmailAddress.objects.filter(email__iexact="ada@example.com").exists()
    assert get_user_model().objects.filter(pk=stranger.pk).exists()


def test_a_shopper_with_another_address_keeps_the_account_under_it(shop):
    user = make_shopper("ada@example.com")
    EmailAddress.objects.create(user=user, email="ada@work.example", verified=True, primary=False)
    _redact(shop, "ada@example.com")
    user.refresh_from_db()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "ada@work.example"
    ]
    assert user.email == ""


def test_staff_are_never_removed_by_a_webhook(shop):
    staff = make_shopper("owner@example.com")
    staff.is_staff = True
    staff.save()
    _redact(shop, "owner@example.com")
    assert get_user_model().objects.filter(pk=staff.pk).exists()
