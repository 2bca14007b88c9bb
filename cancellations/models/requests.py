"""A shopper's request and its audit trail: the state machine every kind of change goes through."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopify_sync.models import MONEY, Order


class RefundMethod(models.TextChoices):
    """How a cancelled order's money goes back. A partial refund is always to the original payment."""

    FULL = "full", _("Full refund to the original payment")
    PARTIAL = "partial", _("Partial refund to the original payment")
    STORE_CREDIT = "store_credit", _("Full refund as store credit")
    NONE = "none", _("No refund")


class Request(models.Model):
    """A shopper's request to cancel an order, change its shipping address or change its items, and what
    became of it.

    submitted → approved | rejected; approved → pushing → completed | failed; failed → approved (a merchant
    retries). What the push sends to Shopify is the request's plan, its `mutations` (the outbox), written
    with the approval; the request keeps only the push loop's own bookkeeping (the lease, when it is due,
    how it failed): see `cancellations.services.push`.
    """

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("Cancel the order")
        ADDRESS_CHANGE = "address_change", _("Change the shipping address")
        ITEM_EDIT = "item_edit", _("Change the items")
        KEEP_BONUS = "keep_bonus", _("Bonus for keeping the order")
        RETURN = "return", _("Return items")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PUSHING = "pushing", _("Sending to the store")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        WITHDRAWN = "withdrawn", _("Withdrawn by the shopper")

    class Failure(models.TextChoices):
        SHIPPED = "shipped", _("The order shipped first")
        CANCELLED_IN_STORE = "cancelled_in_store", _("The order was cancelled in the store")
        ORDER_GONE = "order_gone", _("The order no longer exists in the store")
        SHOPIFY_REFUSED = "shopify_refused", _("Shopify refused the change")
        SHOPIFY_UNAVAILABLE = "shopify_unavailable", _("Shopify could not be reached")
        NOT_CONFIRMED = "not_confirmed", _("Shopify did not confirm the change")
        ORDER_CHANGED = "order_changed", _("The order changed after the shopper's preview")

    OPEN_STATES = (State.SUBMITTED, State.APPROVED, State.PUSHING)
    # States whose planned calls the push sends without moving the request (a return is opened in Shopify
    # while it waits for a decision, and declined there once rejected): see `services.push`.
    PUSHED_IN_PLACE = (State.SUBMITTED, State.REJECTED)
    # The kinds a shopper asks for within a window after the order was placed.
    WINDOWED_KINDS = (Kind.CANCEL, Kind.ADDRESS_CHANGE, Kind.ITEM_EDIT)
    # The one map of legal moves; every service checks it under a lock.
    TRANSITIONS: dict[str, frozenset[str]] = {
        # submitted → withdrawn: the shopper took it back before anyone decided (`request_withdraw`)
        State.SUBMITTED: frozenset({State.APPROVED, State.REJECTED, State.WITHDRAWN}),
        # approved → failed: the order shipped or was cancelled before a worker pushed it
        State.APPROVED: frozenset({State.PUSHING, State.FAILED}),
        State.PUSHING: frozenset({State.COMPLETED, State.FAILED}),
        State.FAILED: frozenset({State.APPROVED}),
        State.REJECTED: frozenset(),
        State.COMPLETED: frozenset(),
        State.WITHDRAWN: frozenset(),
    }

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cancellation_requests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUBMITTED)
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_requests",
    )
    shopper_email = models.EmailField(
        max_length=254, blank=True, help_text=_("The shopper's verified address that owns the order.")
    )
    language = models.CharField(
        max_length=8, default="en", help_text=_("The shopper's language at submit: e-mails use it.")
    )
    reason_code = models.CharField(max_length=50, blank=True)
    reason_text = models.TextField(blank=True)
    requested_address = models.JSONField(
        null=True, blank=True, help_text=_("The new shipping address (fields of MailingAddress).")
    )
    previous_address = models.JSONField(
        null=True, blank=True, help_text=_("The shipping address when the shopper asked.")
    )
    line_changes = models.JSONField(
        null=True,
        blank=True,
        help_text=_("Item edits: per line, the new quantity or the variant swapped to (`LineChange`)."),
    )
    is_withdrawal = models.BooleanField(
        _("EU withdrawal"),
        default=False,
        help_text=_("Asked through the withdrawal button: the consumer's legal right, whatever the windows."),
    )
    return_lines = models.JSONField(
        null=True,
        blank=True,
        help_text=_("Returns: the shipped lines (fulfillment line items) and quantities to send back."),
    )
    credit_amount = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Keep-the-order bonuses: the store credit, in the shop's currency."),
    )
    edit_preview = models.JSONField(
        null=True,
        blank=True,
        help_text=_("Item edits: Shopify's figures the shopper agreed to, and the lines as they were then."),
    )

    # The merchant's decision (the policy's defaults when approved automatically).
    refund = models.CharField(max_length=16, choices=RefundMethod.choices, blank=True)
    refund_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Partial refunds: in the currency the shopper paid in.")
    )
    restock = models.BooleanField(default=True)
    notify_customer = models.BooleanField(default=True)
    decision_message = models.TextField(blank=True, help_text=_("Shown to the shopper."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    # Pushing to Shopify.
    due_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a worker should push next; the sweeper re-queues late ones.")
    )
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text=_("Push attempts since the last (re)try."))
    transient_errors = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=32, choices=Failure.choices, blank=True)
    last_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request")
        ordering = ["-created_at", "-pk"]
        # Held by the "Moderators" group (data migration 0004): deciding is more than editing a row.
        permissions = [
            ("moderate_request", _("Can approve, reject and retry requests")),
            ("view_insights", _("Can see the cancellation insights")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(state__in=["submitted", "approved", "pushing"]),
                name="request_one_open_per_order_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "submitted",
                        "approved",
                        "rejected",
                        "pushing",
                        "completed",
                        "failed",
                        "withdrawn",
                    ]
                ),
                name="request_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="address_change") | Q(requested_address__isnull=False),
                name="request_address_change_has_address",
            ),
            models.CheckConstraint(
                condition=~Q(kind="item_edit") | Q(line_changes__isnull=False, edit_preview__isnull=False),
                name="request_item_edit_has_changes",
            ),
            models.CheckConstraint(
                condition=~Q(kind="keep_bonus") | Q(credit_amount__gt=0),
                name="request_keep_bonus_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind="return") | Q(return_lines__isnull=False), name="request_return_has_lines"
            ),
            models.CheckConstraint(
                condition=~Q(refund="partial") | Q(refund_amount__gt=0),
                name="request_partial_refund_has_amount",
            ),
        ]
        indexes = [
            # the sweeper: the few requests a worker should be pushing
            models.Index(
                fields=["due_at"], condition=Q(state__in=["approved", "pushing"]), name="request_push_due"
            ),
            # the moderation queue
            models.Index(fields=["state", "created_at"], name="request_state_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order.name} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def can_move_to(self, state: str) -> bool:
        return state in self.TRANSITIONS[self.state]


class RequestEvent(models.Model):
    """The audit trail: every transition (and every push step worth knowing), written in the transaction
    that made it. `notify` marks events that e-mail someone: an outbox the sweeper re-drives if the
    broker was down when the event committed."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text=_("“system”, “shopper” or “merchant:<name>”."))
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)
    notify = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request event")
        # Insertion order is the order of the moves (each is written under the request's row lock);
        # `at` comes from the clock of whichever machine made the move.
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["at"],
                condition=Q(notify=True, notified_at__isnull=True),
                name="request_event_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state} by {self.actor_label}"

    @property
    def is_transition(self) -> bool:
        return self.from_state != self.to_state
