"""Create the demo shoppers (and a demo moderator) that `make run` prints, once. Development only.

The shoppers sign in without a password: they ask for a code, and the code is in the console output of
`make run` (development e-mail goes to the console). Their orders come from the devstore's seed, which
places orders for demo@example.com inside and outside the change windows.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import ShopperProfile

DEMO_SHOPPERS = (
    ("demo@example.com", "en"),
    ("demo-ko@example.com", "ko"),
)
DEMO_MODERATOR_USERNAME = "moderator"
DEMO_MODERATOR_PASSWORD = "portal-demo-moderator"  # noqa: S105 - a documented local-only demo credential
# What a moderator needs in /admin/ is the "Moderators" group (cancellations migration 0004).
MODERATORS_GROUP = "Moderators"


class Command(BaseCommand):
    help = "Create the demo shoppers and moderator (development only, idempotent)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=true: its accounts are public.")
        with transaction.atomic():
            for email, language in DEMO_SHOPPERS:
                created = _shopper_ensure(email, language)
                self.stdout.write(
                    f"{'Created' if created else 'Kept'} the demo shopper {email} ({language})."
                )
            created = _moderator_ensure()
            self.stdout.write(
                f"{'Created' if created else 'Kept'} the demo moderator {DEMO_MODERATOR_USERNAME}."
            )
            if _demo_policy_ensure():
                self.stdout.write(
                    "Set the demo store's policy: fulfilment held during the windows, a 10% store-credit "
                    "bonus offered for keeping an order."
                )
        self.stdout.write(
            "Shoppers sign in with a code: enter the e-mail address at /accounts/login/code/ and copy "
            "the code from this console (development e-mail is printed here)."
        )


def _shopper_ensure(email: str, language: str) -> bool:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=email.split("@")[0], defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        email=email, defaults={"user": user, "verified": True, "primary": True}
    )
    ShopperProfile.objects.get_or_create(user=user, defaults={"language": language})
    return created


def _moderator_ensure() -> bool:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_MODERATOR_USERNAME, defaults={"email": "moderator@example.com", "is_staff": True}
    )
    if created:
        user.set_password(DEMO_MODERATOR_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return created


def _demo_policy_ensure() -> bool:
    """The demo store shows what a policy can do: holds on, the keep-the-order bonus offered, returns and
    the EU withdrawal button, a signed-link key. Only on a new policy: a merchant's later edits are kept."""
    from decimal import Decimal

    from cancellations.models import Policy
    from cancellations.services.policies import policy_get_or_create
    from shopify_sync.services.shops import shop_get_or_create_current

    shop = shop_get_or_create_current()
    if Policy.objects.filter(shop=shop).exists():
        return False
    policy = policy_get_or_create(shop=shop)
    policy.hold_fulfilment = True
    policy.offer_keep_bonus = True
    policy.keep_bonus_percent = Decimal("10")
    policy.allow_returns = True
    policy.withdrawal_enabled = True
    policy.save()
    # A signed-link key, so the console shows the Liquid snippet to try (/o/<token>/ links work at once).
    from portal.order_access import link_key_create

    link_key_create(shop=shop)
    return True
