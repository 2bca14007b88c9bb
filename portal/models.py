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


class OrderAccessCode(models.Model):
    """A one-time code e-mailed to an order's address from the lookup page (`/lookup/`): typed back
    within its time and tries, it opens that one order for the browser that asked (a guest's pass)."""

    order = models.ForeignKey("shopify_sync.Order", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254, help_text=_("Where the code went: the order's address."))
    code_hash = models.CharField(max_length=64, help_text=_("Keyed hash of the code; the code is not kept."))
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order access code")
        indexes = [models.Index(fields=["expires_at"], name="portal_code_expires")]

    def __str__(self) -> str:
        return f"code for order {self.order_id} ({self.created_at:%Y-%m-%d %H:%M})"


class OrderLinkKey(models.Model):
    """The secret a store pastes into Shopify's notification templates, so Shopify's Liquid signs a link to
    each order (`/o/<token>/`). Several may be live while one is rotated out: all unretired keys verify."""

    shop = models.ForeignKey("shopify_sync.Shop", on_delete=models.CASCADE, related_name="order_link_keys")
    secret_encrypted = models.TextField(help_text=_("Encrypted with PORTAL_ENCRYPTION_KEYS."))
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text=_("From then on, links signed with this key are refused.")
    )

    class Meta:
        verbose_name = _("order link key")
        verbose_name_plural = _("order link keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        state = _("retired") if self.retired_at else _("live")
        return f"{self.shop} · {self.created_at:%Y-%m-%d %H:%M} ({state})"
