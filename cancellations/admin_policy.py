"""The merchant console's policy pages: what a shop lets its shoppers do alone, and the cancel reasons
they pick from. Registered by `cancellations.admin` (which Django's autodiscovery imports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cancellations.models import CancelReason, Policy

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise
from shopify_sync.admin import ShopScopedAdmin
from shopify_sync.models import Order


class PolicyForm(forms.ModelForm):
    allowed_financial_statuses = forms.MultipleChoiceField(
        label=_("payment states allowed"),
        choices=Order.FinancialStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Shoppers can change an order only while Shopify shows one of these payment states; "
            "refunded or voided orders are usually left out."
        ),
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        for field, message in _bonus_errors(cleaned).items():
            self.add_error(field, message)
        return cleaned

    class Meta:
        model = Policy
        fields = [
            "shop",
            "cancel_window_minutes",
            "address_window_minutes",
            "edit_window_minutes",
            "allowed_financial_statuses",
            "blocking_tags",
            "max_order_total",
            "block_high_risk",
            "auto_approve_cancels",
            "auto_approve_address_changes",
            "auto_approve_item_edits",
            "allow_country_change",
            "hold_fulfilment",
            "allow_swaps",
            "allow_price_increases",
            "excluded_product_tags",
            "excluded_product_types",
            "excluded_sku_prefixes",
            "exclude_unshipped_goods",
            "offer_size_swap",
            "offer_address_fix",
            "offer_keep_bonus",
            "keep_bonus_percent",
            "keep_bonus_amount",
            "default_refund",
            "default_restock",
            "notify_customer",
            "close_after_cancel",
            "allow_returns",
            "return_window_days",
            "auto_approve_returns",
            "withdrawal_enabled",
            "withdrawal_days",
        ]
        help_texts = {
            "auto_approve_address_changes": _(
                "Off: every address change waits for a merchant in the moderation queue."
            ),
            "allow_country_change": _(
                "Off: a shopper may move the delivery within the same country only (duties and shipping "
                "rates differ abroad)."
            ),
            "default_refund": _(
                "What an automatic approval refunds, and what the approve page suggests. A partial refund "
                "is chosen per request."
            ),
            "default_restock": _(
                "Put cancelled and removed items back in stock, unless the merchant decides otherwise."
            ),
        }


def _bonus_errors(cleaned: dict) -> dict[str, StrPromise]:
    """A bonus is a percentage or an amount, not both; on, it needs one of them."""
    percent, amount = cleaned.get("keep_bonus_percent"), cleaned.get("keep_bonus_amount")
    errors: dict[str, StrPromise] = {}
    if percent is not None and amount is not None:
        errors["keep_bonus_amount"] = _("Give a percentage or a fixed amount, not both.")
    elif cleaned.get("offer_keep_bonus") and not (percent or amount):
        errors["keep_bonus_percent"] = _("Give the bonus as a percentage of the order or a fixed amount.")
    if percent is not None and not 0 < percent <= 100:
        errors["keep_bonus_percent"] = _("A percentage between 0 and 100.")
    if amount is not None and amount <= 0:
        errors["keep_bonus_amount"] = _("An amount above zero.")
    return errors


class CancelReasonInline(admin.TabularInline):
    model = CancelReason
    extra = 0
    fields = ["position", "code", "label_en", "label_ko", "requires_text", "active"]


@admin.register(Policy)
class PolicyAdmin(ShopScopedAdmin):
    form = PolicyForm
    inlines = [CancelReasonInline]
    list_display = [
        "shop",
        "cancel_window_minutes",
        "address_window_minutes",
        "auto_approve_cancels",
        "auto_approve_address_changes",
        "default_refund",
    ]
    list_select_related = ["shop"]
    fieldsets = [
        (None, {"fields": ["shop"]}),
        (
            _("Windows"),
            {
                "description": _(
                    "Counted from the moment the order was placed. After the window the shopper sees "
                    "“contact the store”; a merchant may still approve a request made in time."
                ),
                "fields": [
                    "cancel_window_minutes",
                    "address_window_minutes",
                    "edit_window_minutes",
                    "hold_fulfilment",
                ],
            },
        ),
        (
            _("Which orders"),
            {
                "description": _("Orders that fail any of these are not offered self-service at all."),
                "fields": [
                    "allowed_financial_statuses",
                    "blocking_tags",
                    "max_order_total",
                    "block_high_risk",
                ],
            },
        ),
        (
            _("Approval"),
            {
                "description": _(
                    "Approved requests are sent to Shopify at once; Shopify is read again first, so an "
                    "order that shipped in the meantime is never cancelled."
                ),
                "fields": [
                    "auto_approve_cancels",
                    "auto_approve_address_changes",
                    "auto_approve_item_edits",
                    "allow_country_change",
                ],
            },
        ),
        (
            _("Item edits"),
            {
                "description": _(
                    "Shoppers lower quantities, remove items or swap a size or colour; Shopify prices the "
                    "new order before they confirm. A cheaper result is refunded to the original payment "
                    "once the edit is in."
                ),
                "fields": ["allow_swaps", "allow_price_increases"],
            },
        ),
        (
            _("Offers to keep the order"),
            {
                "description": _(
                    "Shown after a shopper picks a reason to cancel, before the cancel; “No thanks, cancel "
                    "my order” is always one click away. The insights count what was shown, taken and kept."
                ),
                "fields": [
                    "offer_size_swap",
                    "offer_address_fix",
                    "offer_keep_bonus",
                    "keep_bonus_percent",
                    "keep_bonus_amount",
                ],
            },
        ),
        (
            _("Excluded products"),
            {
                "description": _(
                    "Items shoppers may neither change nor cancel here: an order holding one goes through "
                    "the store. Tags and types are compared without case."
                ),
                "fields": [
                    "excluded_product_tags",
                    "excluded_product_types",
                    "excluded_sku_prefixes",
                    "exclude_unshipped_goods",
                ],
            },
        ),
        (
            _("Returns and the EU withdrawal button"),
            {
                "description": _(
                    "After shipping, shoppers ask for a return; it opens in Shopify as a requested return "
                    "at once, and you approve or decline it here or in Shopify. The withdrawal button is "
                    "the consumer's legal right in the EU: it ignores the windows and conditions above."
                ),
                "fields": [
                    "allow_returns",
                    "return_window_days",
                    "auto_approve_returns",
                    "withdrawal_enabled",
                    "withdrawal_days",
                ],
            },
        ),
        (
            _("Defaults of a decision"),
            {
                "description": _("Used by automatic approvals and suggested on the approve page."),
                "fields": ["default_refund", "default_restock", "notify_customer", "close_after_cancel"],
            },
        ),
    ]


@admin.register(CancelReason)
class CancelReasonAdmin(ShopScopedAdmin):
    shop_path = "policy__shop"
    list_display = ["code", "label_en", "label_ko", "policy", "position", "active", "requires_text"]
    list_filter = ["active", "policy"]
    list_select_related = ["policy", "policy__shop"]
    ordering = ["policy", "position", "pk"]
    fieldsets = [
        (
            None,
            {
                "description": _(
                    "The reasons a shopper picks from when cancelling, in this order. Reasons without a "
                    "policy are the defaults a new shop starts with. Deactivate a reason rather than "
                    "deleting it: past requests keep its code and the insights still count them."
                ),
                "fields": ["policy", "code", "label_en", "label_ko", "position", "active", "requires_text"],
            },
        ),
    ]
