"""Forms of the moderation pages. They parse what a merchant chose; the services decide what is allowed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cancellations.models import Policy, RefundMethod
from shopify_sync.models import Shop


class ApproveForm(forms.Form):
    refund = forms.ChoiceField(
        label=_("Refund"),
        choices=RefundMethod.choices,
        widget=forms.RadioSelect,
        required=False,  # not asked when no cancel is among the requests; empty: the policy's default
        help_text=_("Cancels: an address change moves no money; an item edit refunds its difference."),
    )
    refund_amount = forms.DecimalField(
        label=_("Amount to refund"),
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=14,
        help_text=_("Partial refund only, in the currency the shopper paid in; applied to each order."),
    )
    edit_refund = forms.BooleanField(
        label=_("Refund the difference"),
        required=False,
        initial=True,
        help_text=_(
            "Item edits: refund what Shopify calculated the cheaper order saves, to the original payment, "
            "once the edit is in."
        ),
    )
    restock = forms.BooleanField(
        label=_("Restock the items"), required=False, help_text=_("Put the cancelled items back in stock.")
    )
    notify = forms.BooleanField(
        label=_("Notify the shopper through Shopify"),
        required=False,
        help_text=_("Shopify's own cancellation and refund e-mails; the portal e-mails the shopper anyway."),
    )
    message = forms.CharField(
        label=_("Message to the shopper"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. Shown on the shopper's order page and in the portal's e-mail."),
    )

    @classmethod
    def from_policy(cls, policy: Policy | None, **kwargs) -> ApproveForm:
        initial = {"refund": RefundMethod.FULL, "restock": True, "notify": True, "edit_refund": True}
        if policy is not None:
            initial = {
                "refund": policy.default_refund,
                "restock": policy.default_restock,
                "notify": policy.notify_customer,
                "edit_refund": True,
            }
        return cls(initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        refund, amount = cleaned.get("refund"), cleaned.get("refund_amount")
        if refund == RefundMethod.PARTIAL and amount is None:
            self.add_error("refund_amount", _("Enter the amount of the partial refund."))
        if refund != RefundMethod.PARTIAL:
            cleaned["refund_amount"] = None
        cleaned["refund"] = refund or None
        return cleaned


class RejectForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the shopper"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required: tell the shopper why. They read it on their order page and in an e-mail."),
    )


class ShopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Shop) -> str:
        return obj.name or obj.domain


class InsightsRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    # One store at a time (their currencies may differ); offered when the user sees several.
    shop = ShopChoiceField(queryset=Shop.objects.none(), label=_("Store"), required=False)

    MAX_DAYS = 3 * 366

    def __init__(self, *args: Any, shops: QuerySet[Shop], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shop_field = self.fields["shop"]
        assert isinstance(shop_field, forms.ModelChoiceField)
        shop_field.queryset = shops
        shop_field.empty_label = None
        self.shop_count = shops.count()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the range is before its start."))
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("Choose a range of three years at most."))
            if end.year >= 9999 or start.year < 1900:
                # The range's end is taken as the next midnight: the last day a date can hold would overflow.
                raise forms.ValidationError(_("Choose dates between 1900 and 9998."))
        return cleaned
