from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.models import ShopperProfile

pytestmark = pytest.mark.django_db


def test_it_creates_the_demo_shoppers_once_with_verified_addresses(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # a second `make run` changes nothing
    demo = EmailAddress.objects.get(email="demo@example.com")
    assert demo.verified and demo.primary
    assert not demo.user.has_usable_password()  # signs in by code
    assert ShopperProfile.objects.get(user__emailaddress__email="demo-ko@example.com").language == "ko"
    assert EmailAddress.objects.count() == 2
    moderator = get_user_model().objects.get(username="moderator")
    assert moderator.is_staff and not moderator.is_superuser
    assert moderator.has_perm("cancellations.change_request")


def test_it_refuses_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_the_demo_store_holds_fulfilment_and_offers_a_bonus_but_keeps_a_merchants_edits(settings):
    from cancellations.models import Policy

    settings.DEBUG = True
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    call_command("seed_demo")
    policy = Policy.objects.get()
    assert policy.hold_fulfilment and policy.offer_keep_bonus and policy.keep_bonus_percent == 10

    policy.hold_fulfilment = False
    policy.save()
    call_command("seed_demo")
    assert not Policy.objects.get().hold_fulfilment
