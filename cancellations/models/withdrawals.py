"""A consumer's withdrawal from the contract (EU: the "withdrawal function" since 19 June 2026): the
statement as received, when, and what it became. The merchant exports these as the record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shopify_sync.models import Order


class Withdrawal(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="withdrawals")
    request = models.OneToOneField(
        "cancellations.Request",
        on_delete=models.PROTECT,
        related_name="withdrawal",
        help_text=_("The cancel (nothing shipped) or return (shipped) request it became."),
    )
    name = models.CharField(_("consumer's name"), max_length=200)
    email = models.EmailField(_("email for the acknowledgement"), max_length=254)
    language = models.CharField(max_length=8, default="en")
    statement = models.TextField(
        help_text=_("The statement as the consumer confirmed it, in their language.")
    )
    received_at = models.DateTimeField(_("received at"), help_text=_("When the consumer confirmed."))
    acknowledged_at = models.DateTimeField(
        _("acknowledgement sent at"), null=True, blank=True, help_text=_("Empty: the e-mail is not sent yet.")
    )
    via = models.CharField(
        max_length=16, help_text=_("How the consumer reached the order: account, code or link.")
    )

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.order.name}: {self.received_at:%Y-%m-%d %H:%M}"
