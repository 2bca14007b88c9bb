"""The fulfilment holds the portal places during the self-service windows (`services.holds`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopify_sync.models import Order


class FulfilmentHold(models.Model):
    """A hold the portal put on one of an order's fulfilment orders for its self-service window.

    held → released (window over, a request settled, or a merchant released it); failed: Shopify would not
    hold it (already in progress, say), which changes nothing for the shopper: what they may do still
    follows the order's fulfilment status. `handle` names the hold as ours on Shopify."""

    class State(models.TextChoices):
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")
        FAILED = "failed", _("Not held")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilment_holds")
    fulfillment_order_gid = models.CharField(max_length=100)
    hold_gid = models.CharField(max_length=100, blank=True)
    handle = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.HELD)
    held_until = models.DateTimeField(help_text=_("When the order's last self-service window closes."))
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_because = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("fulfilment hold")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "fulfillment_order_gid"], name="hold_one_per_fulfillment_order"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["held", "released", "failed"]), name="hold_state_valid"
            ),
        ]
        indexes = [
            # the beat's release: the few holds still on
            models.Index(fields=["held_until"], condition=Q(state="held"), name="hold_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()}: {self.order.name} ({self.fulfillment_order_gid})"
