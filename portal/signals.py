from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.middleware import LANGUAGE_TO_REMEMBER
from portal.models import OrderAccessCode, ShopperProfile
from shopify_sync.signals import customer_redacted

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="portal_remember_shopper_language")
def remember_shopper_language(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    language = ShopperProfile.objects.filter(user=user).values_list("language", flat=True).first()
    if language:
        setattr(request, LANGUAGE_TO_REMEMBER, language)


@receiver(customer_redacted, dispatch_uid="portal_redact_shopper_account")
def redact_shopper_account(sender, shop, customer_legacy_id, email, order_ids, **kwargs) -> None:
    """`customers/redact`: the shopper's account goes with their data. Their address rows are deleted;
    the user too when no other address is left (a shopper with another address keeps the account under
    it). Staff accounts are never removed by a webhook. The lookup codes sent about their orders go."""
    from allauth.account.models import EmailAddress

    OrderAccessCode.objects.filter(order_id__in=order_ids).delete()
    email = (email or "").strip().lower()
    if not email:
        return
    rows = EmailAddress.objects.filter(email__iexact=email).select_related("user")
    for row in rows:
        user = row.user
        if user.is_staff or user.is_superuser:
            logger.warning("customers/redact names staff user %s: account kept", user.pk)
            continue
        row.delete()
        others = EmailAddress.objects.filter(user=user).exists()
        if not others:
            user.delete()
        elif user.email.strip().lower() == email:
            user.email = ""
            user.save(update_fields=["email"])
