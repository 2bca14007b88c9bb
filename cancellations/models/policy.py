"""What a shop lets its shoppers do by themselves (`Policy`), and the reasons they cancel for."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cancellations.models.requests import RefundMethod, Request
from shopify_sync.models import MONEY, Order, Shop

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
        help_text=_(
            "The return opens in Shopify as requested at once; you approve or decline it here or in Shopify."
        ),
    )
    return_window_days = models.PositiveIntegerField(
        _("return window (days)"),
        default=30,
        help_text=_("How long after the order was placed a shopper may ask to return items."),
    )
    auto_approve_returns = models.BooleanField(_("approve returns automatically"), default=False)
    withdrawal_enabled = models.BooleanField(
        _("EU withdrawal button"),
        default=False,
        help_text=_(
            "Required for stores selling online to consumers in the EU (from 19 June 2026): a "
            "“Withdraw from contract here” button on every order for the withdrawal period, whatever the "
            "windows above. Unshipped orders become cancel requests, shipped ones return requests."
        ),
    )
    withdrawal_days = models.PositiveIntegerField(
        _("withdrawal period (days after delivery)"),
        default=14,
        help_text=_("The legal minimum is 14 days from delivery; a store may give more."),
    )
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
