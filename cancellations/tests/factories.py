"""factory_boy factories of the domain. Mirror rows come from shopify_sync's factories."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from shopify_sync.tests.factories import ModelFactory, OrderFactory, ShopFactory

__all__ = ["ADDRESS", "MerchantFactory", "OrderFactory", "ShopFactory", "ShopperFactory", "UserFactory"]

# The shipping address the tests' orders carry unless they say otherwise (Shopify's MailingAddress names).
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address1": "1 Main St",
    "city": "Toronto",
    "province_code": "ON",
    "country_code": "CA",
    "zip": "M5V 2T6",
}


class UserFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"shopper{n}")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    password = factory.django.Password("not-a-secret-1")


class ShopperFactory(UserFactory):
    """A shopper whose address allauth has verified (the only kind that owns orders)."""

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        if create and user.email and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


class MerchantFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.Sequence(lambda n: f"staff{n}@store.example")
    is_staff = True
