"""The domain: each shop's self-service policy, and the requests shoppers make (cancel, change address).

Nothing here does I/O. Every write that means something is a service in `cancellations.services`; the
predicates here are cheap and pure (`policy.deadline_for(order, kind)`, `request.can_move_to(state)`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopify_sync.models import MONEY, Order, Shop


class RefundMethod(models.TextChoices):
    """How a cancelled order's money goes back. A partial refund is always to the original payment."""

    FULL = "full", _("Full refund to the original payment")
    PARTIAL = "partial", _("Partial refund to the original payment")
    STORE_CREDIT = "store_credit", _("Full refund as store credit")
    NONE = "none", _("No refund")


# A policy's default is never a partial refund: an amount is a merchant's decision on one request.
POLICY_REFUND_CHOICES = [
    (method.value, method.label)
    for method in (RefundMethod.FULL, RefundMethod.STORE_CREDIT, RefundMethod.NONE)
]


def default_allowed_financial_statuses() -> list[str]:
    return [
        Order.FinancialStatus.PAID,
        Order.FinancialStatus.PENDING,
        Order.FinancialStatus.AUTHORIZED,
        Order.FinancialStatus.PARTIALLY_PAID,
    ]


class Policy(models.Model):
    """What a shop lets its shoppers do by themselves, and the defaults of a merchant's decision."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="cancellation_policy")
    cancel_window_minutes = models.PositiveIntegerField(
        _("cancel window (minutes)"),
        default=60,
        help_text=_("How long after the order was placed a shopper may ask to cancel it."),
    )
    address_window_minutes = models.PositiveIntegerField(
        _("address window (minutes)"),
        default=60,
        help_text=_("How long after the order was placed a shopper may change its shipping address."),
    )
    edit_window_minutes = models.PositiveIntegerField(
        _("item edit window (minutes)"),
        default=60,
        help_text=_(
            "How long after the order was placed a shopper may remove or reduce items or swap a variant."
        ),
    )
    allowed_financial_statuses = models.JSONField(
        _("payment states allowed"),
        default=default_allowed_financial_statuses,
        help_text=_("Orders in another payment state cannot be changed by the shopper."),
    )
    blocking_tags = models.CharField(
        _("tags that block self-service"),
        max_length=1000,
        blank=True,
        help_text=_("Comma-separated. An order with any of these tags cannot be changed by the shopper."),
    )
    max_order_total = models.DecimalField(
        _("maximum order total"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("In the shop's currency. Larger orders go through the store. Empty: no limit."),
    )
    block_high_risk = models.BooleanField(
        _("block high-risk orders"), default=True, help_text=_("Orders Shopify rates high risk.")
    )
    auto_approve_cancels = models.BooleanField(
        _("approve cancels automatically"),
        default=True,
        help_text=_("Off: every cancel request waits for a merchant in the moderation queue."),
    )
    auto_approve_address_changes = models.BooleanField(
        _("approve address changes automatically"), default=True
    )
    auto_approve_item_edits = models.BooleanField(
        _("approve item edits automatically"),
        default=True,
        help_text=_("Off: every item edit waits for a merchant in the moderation queue."),
    )
    allow_swaps = models.BooleanField(
        _("shoppers may swap a variant"),
        default=True,
        help_text=_("Another size or colour of the same product, when it is in stock."),
    )
    allow_price_increases = models.BooleanField(
        _("an edit may cost the shopper more"),
        default=False,
        help_text=_("A dearer variant: Shopify sends the shopper an invoice for the difference."),
    )
    excluded_product_tags = models.CharField(
        _("excluded product tags"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Comma-separated. Products with any of these tags cannot be edited or cancelled by the shopper."
        ),
    )
    excluded_product_types = models.CharField(
        _("excluded product types"),
        max_length=1000,
        blank=True,
        help_text=_("Comma-separated, e.g. “Custom print, Final sale”."),
    )
    excluded_sku_prefixes = models.CharField(
        _("excluded SKU prefixes"),
        max_length=1000,
        blank=True,
        help_text=_("Comma-separated. A line whose SKU starts with one of these is excluded."),
    )
    exclude_unshipped_goods = models.BooleanField(
        _("exclude gift cards and digital goods"),
        default=True,
        help_text=_("Lines that need no shipping: they are delivered the moment the order is placed."),
    )
    offer_size_swap = models.BooleanField(
        _("offer a size swap instead of a cancel"),
        default=True,
        help_text=_("When the shopper's reason is the wrong size and an item can be swapped."),
    )
    offer_address_fix = models.BooleanField(
        _("offer an address fix instead of a cancel"),
        default=True,
        help_text=_("When the shopper's reason is the wrong address and the address can still change."),
    )
    offer_keep_bonus = models.BooleanField(
        _("offer a bonus for keeping the order"),
        default=False,
        help_text=_(
            "Store credit (a Shopify gift card), issued once the order ships. Only for orders with a "
            "customer account, which the gift card is for."
        ),
    )
    keep_bonus_percent = models.DecimalField(
        _("bonus (percent of the order)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("E.g. 10 for 10 %. Leave empty to give a fixed amount."),
    )
    keep_bonus_amount = models.DecimalField(
        _("bonus (fixed amount)"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("In the shop's currency."),
    )
    allow_returns = models.BooleanField(
        _("shoppers may ask for a return after shipping"),
        default=False,
        help_text=_("The request goes to Shopify as a return once approved (here or automatically)."),
    )
    return_window_days = models.PositiveIntegerField(
        _("return window (days)"),
        default=30,
        help_text=_("How long after the order was placed a shopper may ask to return items."),
    )
    auto_approve_returns = models.BooleanField(_("approve returns automatically"), default=False)
    hold_fulfilment = models.BooleanField(
        _("hold fulfilment while shoppers may still change the order"),
        default=False,
        help_text=_(
            "A hold on each new order's fulfilment until its last self-service window ends (or a request "
            "on it settles), so the warehouse does not pick an order the shopper is about to change. Only "
            "the portal's own holds are ever released."
        ),
    )
    allow_country_change = models.BooleanField(_("a new address may be in another country"), default=False)
    default_refund = models.CharField(
        _("refund by default"), max_length=16, choices=POLICY_REFUND_CHOICES, default=RefundMethod.FULL
    )
    default_restock = models.BooleanField(_("restock by default"), default=True)
    close_after_cancel = models.BooleanField(
        _("archive an order the portal cancelled"),
        default=False,
        help_text=_(
            "Shopify archives cancelled orders itself while the store keeps its default “automatically "
            "archive the order” setting; turn this on if the store turned that off. Never deleted."
        ),
    )
    notify_customer = models.BooleanField(
        _("notify the shopper through Shopify"),
        default=True,
        help_text=_("Shopify's own cancellation and refund e-mails, on top of the portal's."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("self-service policy")
        verbose_name_plural = _("self-service policies")

    def __str__(self) -> str:
        return str(_("Policy of %(shop)s") % {"shop": self.shop})

    def window_for(self, kind: str) -> timedelta:
        minutes: dict[str, int] = {
            Request.Kind.CANCEL: self.cancel_window_minutes,
            Request.Kind.ITEM_EDIT: self.edit_window_minutes,
            Request.Kind.RETURN: self.return_window_days * 24 * 60,
        }
        return timedelta(minutes=minutes.get(kind, self.address_window_minutes))

    def deadline_for(self, order: Order, kind: str) -> datetime:
        """The last moment a shopper may ask for `kind` on `order` (inclusive)."""
        return order.processed_at + self.window_for(kind)

    @property
    def blocking_tag_set(self) -> frozenset[str]:
        return _comma_set(self.blocking_tags)

    @property
    def excluded_tag_set(self) -> frozenset[str]:
        return _comma_set(self.excluded_product_tags)

    @property
    def excluded_type_set(self) -> frozenset[str]:
        return _comma_set(self.excluded_product_types)

    @property
    def excluded_sku_prefix_list(self) -> tuple[str, ...]:
        return tuple(sorted(_comma_set(self.excluded_sku_prefixes)))

    def last_deadline(self, order: Order) -> datetime:
        """When the last self-service window of `order` closes."""
        return max(self.deadline_for(order, kind) for kind in Request.WINDOWED_KINDS)

    def auto_approves(self, kind: str) -> bool:
        auto: dict[str, bool] = {
            Request.Kind.CANCEL: self.auto_approve_cancels,
            Request.Kind.ITEM_EDIT: self.auto_approve_item_edits,
            Request.Kind.RETURN: self.auto_approve_returns,
        }
        return auto.get(kind, self.auto_approve_address_changes)


def _comma_set(value: str) -> frozenset[str]:
    """A comma-separated policy field, compared without case."""
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


class CancelReason(models.Model):
    """A reason a shopper can pick. Rows without a policy are the defaults a new shop's policy starts with
    (seeded by a data migration, copied when the policy is created); each shop then edits its own."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, null=True, blank=True, related_name="reasons"
    )
    code = models.SlugField(max_length=50, help_text=_("Stable identifier stored on requests."))
    label_en = models.CharField(_("label (English)"), max_length=200)
    label_ko = models.CharField(_("label (Korean)"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    requires_text = models.BooleanField(
        default=False, help_text=_("The shopper must explain in their own words (e.g. “Other”).")
    )

    class Meta:
        verbose_name = _("cancel reason")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="reason_unique_code_per_policy"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(policy__isnull=True), name="reason_unique_default_code"
            ),
        ]

    def __str__(self) -> str:
        return self.label_en

    def label(self, language: str | None = None) -> str:
        if language and language.lower().startswith("ko") and self.label_ko:
            return self.label_ko
        return self.label_en


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

    class Failure(models.TextChoices):
        SHIPPED = "shipped", _("The order shipped first")
        CANCELLED_IN_STORE = "cancelled_in_store", _("The order was cancelled in the store")
        ORDER_GONE = "order_gone", _("The order no longer exists in the store")
        SHOPIFY_REFUSED = "shopify_refused", _("Shopify refused the change")
        SHOPIFY_UNAVAILABLE = "shopify_unavailable", _("Shopify could not be reached")
        NOT_CONFIRMED = "not_confirmed", _("Shopify did not confirm the change")
        ORDER_CHANGED = "order_changed", _("The order changed after the shopper's preview")

    OPEN_STATES = (State.SUBMITTED, State.APPROVED, State.PUSHING)
    # The kinds a shopper asks for within a window after the order was placed.
    WINDOWED_KINDS = (Kind.CANCEL, Kind.ADDRESS_CHANGE, Kind.ITEM_EDIT)
    # The one map of legal moves; every service checks it under a lock.
    TRANSITIONS: dict[str, frozenset[str]] = {
        State.SUBMITTED: frozenset({State.APPROVED, State.REJECTED}),
        # approved → failed: the order shipped or was cancelled before a worker pushed it
        State.APPROVED: frozenset({State.PUSHING, State.FAILED}),
        State.PUSHING: frozenset({State.COMPLETED, State.FAILED}),
        State.FAILED: frozenset({State.APPROVED}),
        State.REJECTED: frozenset(),
        State.COMPLETED: frozenset(),
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
                    state__in=["submitted", "approved", "rejected", "pushing", "completed", "failed"]
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

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENT = "sent", _("Sent, no answer yet")
        ANSWERED = "answered", _("Answered, not yet shown")
        CONFIRMED = "confirmed", _("Confirmed by Shopify")
        FAILED = "failed", _("Failed")

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
