"""The outbox: the Shopify calls a decided request makes, one row each (`cancellations.services.push`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cancellations.models.requests import Request


class ShopifyMutation(models.Model):
    """One call the portal will make on Shopify for a request: a row of the outbox.

    A request's plan is its rows in `position` order, written in the transaction that approved it; the push
    loop (`cancellations.services.push`) takes the first row not yet confirmed, reads Shopify, and either
    confirms the row (its effect is there) or sends it. The timestamps are the exactly-once bookkeeping:
    `first_sent_at` is recorded before the first call ever leaves and never cleared (Shopify may have
    it), `sent_at`/`answered_at` say whether the last call's answer was lost.

    `attempt` counts the tries Shopify must treat as new: a merchant's retry of a failed row starts a new
    attempt with a new idempotency key (Shopify refuses a key whose earlier use failed), while a resend
    after a lost answer keeps the key, so Shopify applies it at most once.
    """

    class Operation(models.TextChoices):
        ORDER_CANCEL = "orderCancel", _("Cancel the order")
        REFUND_CREATE = "refundCreate", _("Refund part of the payment")
        ORDER_UPDATE = "orderUpdate", _("Change the shipping address")
        ORDER_EDIT_COMMIT = "orderEditCommit", _("Change the items")
        GIFT_CARD_CREATE = "giftCardCreate", _("Issue store credit")
        ORDER_CLOSE = "orderClose", _("Archive the order")
        RETURN_REQUEST = "returnRequest", _("Ask Shopify for a return")
        RETURN_APPROVE = "returnApproveRequest", _("Approve the return")
        RETURN_DECLINE = "returnDeclineRequest", _("Decline the return")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENT = "sent", _("Sent, no answer yet")
        ANSWERED = "answered", _("Answered, not yet shown")
        CONFIRMED = "confirmed", _("Confirmed by Shopify")
        FAILED = "failed", _("Failed")

    # A row still to be sent, or sent and not yet seen in Shopify: what a push has left to do.
    UNSETTLED_STATES = (State.PLANNED, State.SENT, State.ANSWERED)

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="mutations")
    position = models.PositiveSmallIntegerField(help_text=_("Order of the calls within the request's plan."))
    operation = models.CharField(max_length=40, choices=Operation.choices)
    variables = models.JSONField(
        default=dict, blank=True, help_text=_("What the call sends, as planned with the decision.")
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PLANNED)
    attempt = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100)
    sends = models.PositiveIntegerField(default=0, help_text=_("Calls made, resends included."))
    first_sent_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    result_id = models.CharField(
        max_length=200, blank=True, help_text=_("What Shopify answered: a job or the object it made.")
    )
    answer = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text=_("Shopify's message when the row failed."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Shopify call")
        verbose_name_plural = _("Shopify calls")
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="mutation_unique_position"),
            models.UniqueConstraint(fields=["idempotency_key"], name="mutation_unique_idempotency_key"),
            models.CheckConstraint(
                condition=Q(state__in=["planned", "sent", "answered", "confirmed", "failed"]),
                name="mutation_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} #{self.position} of request {self.request_id} ({self.state})"

    @property
    def answer_lost(self) -> bool:
        """A call went out and its answer was never recorded: Shopify may have applied it."""
        return self.sent_at is not None and (self.answered_at is None or self.answered_at < self.sent_at)


# Marks the variables of a call whose shopper's data was erased: such a call can no longer be sent.
REDACTED = "redacted"


def idempotency_key_for(*, request_id: int, position: int, attempt: int) -> str:
    """One key per attempt of one planned call; the same for every resend of that attempt."""
    return f"portal-request-{request_id}-call-{position}-attempt-{attempt}"
