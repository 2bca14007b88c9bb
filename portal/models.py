"""What the portal keeps about a shopper beyond allauth's user and email addresses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShopperProfile(models.Model):
    """The shopper's chosen language, so a sign-in on another device speaks it from the first page."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shopper_profile"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shopper profile")

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"
