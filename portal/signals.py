from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.middleware import LANGUAGE_TO_REMEMBER
from portal.models import ShopperProfile


@receiver(user_logged_in, dispatch_uid="portal_remember_shopper_language")
def remember_shopper_language(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    language = ShopperProfile.objects.filter(user=user).values_list("language", flat=True).first()
    if language:
        setattr(request, LANGUAGE_TO_REMEMBER, language)
