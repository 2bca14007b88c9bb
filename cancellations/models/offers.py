"""Offers to keep an order, shown on the way to a cancel, and what the shopper did with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cancellations.models.requests import Request
from shopify_sync.models import MONEY, Order


class RetentionOffer(models.Model):
    """An offer to keep an order, shown to a shopper on their way to cancelling it, and what they did.

    Insights count these (shown, taken, declined, the order value kept). A taken bonus is a promise: once
    the order ships, a `keep_bonus` request issues the store credit through the outbox (`request`)."""

    class Kind(models.TextChoices):
        SIZE_SWAP = "size_swap", _("Swap the size instead")
        ADDRESS_FIX = "address_fix", _("Fix the address instead")
        KEEP_BONUS = "keep_bonus", _("Keep the order for a bonus")

    class Outcome(models.TextChoices):
        SHOWN = "shown", _("Shown")
        TAKEN = "taken", _("Taken")
        DECLINED = "declined", _("Declined")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="retention_offers")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shopper_email = models.EmailField(max_length=254, blank=True)
    language = models.CharField(max_length=8, default="en")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.SHOWN)
    reason_code = models.CharField(max_length=50, blank=True)
    order_value = models.DecimalField(**MONEY, help_text=_("The order's total, in the shop's currency."))
    bonus_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Keep-the-order bonus, in the shop's currency.")
    )
    request = models.OneToOneField(
        Request,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer",
        help_text=_("The bonus's request, made once the order shipped."),
    )
    shown_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("retention offer")
        ordering = ["-shown_at", "-pk"]
        indexes = [models.Index(fields=["shown_at"], name="offer_shown_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["shown", "taken", "declined"]), name="offer_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="keep_bonus") | Q(bonus_amount__gt=0), name="offer_bonus_has_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.order.name}: {self.outcome}"
