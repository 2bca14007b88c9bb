"""The shopper's forms. They parse and check input; policy and ownership stay in `cancellations`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cancellations.item_edits import LineChoice
from cancellations.models import CancelReason
from cancellations.policy import RETURN_REASONS
from portal import addresses
from shopify_sync.order_edits import LineChange
from shopify_sync.returns import ReturnableLine
from shopify_sync.types import MailingAddress

# The reason whose "offer the address change instead" hint the cancel form shows.
WRONG_ADDRESS_REASON = "wrong_address"
COMMENT_MAX_LENGTH = 1000


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you want to cancel?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything the store should know."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that a cancelled order cannot be restored."),
        error_messages={"required": _("Tick the box to confirm that you want to cancel this order.")},
    )

    def __init__(self, *args, reasons: Iterable[CancelReason], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.reasons = {reason.code: reason for reason in reasons}
        reason_field = cast(forms.ChoiceField, self.fields["reason"])
        # A reason that needs a few words says so where it is chosen, not only after a failed submit.
        reason_field.choices = [
            (
                code,
                _("%(reason)s (tell us a few words below)") % {"reason": r.label(language)}
                if r.requires_text
                else r.label(language),
            )
            for code, r in self.reasons.items()
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        reason = self.reasons.get(cleaned.get("reason") or "")
        if reason is not None and reason.requires_text and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Tell us in a few words why you are cancelling."))
        return cleaned


class AddressForm(forms.Form):
    """A shipping address as Shopify takes it, checked like Shopify's checkout would.

    `province` is posted as "KR:KR-11" (country and Shopify's province code) so one <select> with a group
    per country works without JavaScript; `clean()` checks it belongs to the chosen country.
    """

    first_name = forms.CharField(label=_("First name"), max_length=255, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=255)
    company = forms.CharField(label=_("Company (optional)"), max_length=255, required=False)
    address1 = forms.CharField(label=_("Address"), max_length=255)
    address2 = forms.CharField(label=_("Apartment, suite, etc. (optional)"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=255)
    country = forms.ChoiceField(label=_("Country or region"))
    province = forms.ChoiceField(label=_("State, province or region"), required=False)
    zip = forms.CharField(label=_("Postal code"), max_length=32)
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        help_text=_("For the courier. Include the country code if it is not this country's number."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    autocomplete = {
        "first_name": "shipping given-name",
        "last_name": "shipping family-name",
        "company": "shipping organization",
        "address1": "shipping address-line1",
        "address2": "shipping address-line2",
        "city": "shipping address-level2",
        "country": "shipping country",
        "province": "shipping address-level1",
        "zip": "shipping postal-code",
    }

    def __init__(self, *args, fixed_country: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fixed_country = fixed_country
        countries = addresses.country_choices(language)
        if fixed_country:
            countries = [(code, name) for code, name in countries if code == fixed_country]
            self.fields["country"].help_text = _(
                "This store does not ship a changed order to another country."
            )
        country_field = cast(forms.ChoiceField, self.fields["country"])
        country_field.choices = countries
        province_field = cast(forms.ChoiceField, self.fields["province"])
        province_field.choices = [("", _("Choose…")), *addresses.province_choices(language)]
        for name, token in self.autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        for field in self.fields.values():
            if field.required:
                field.widget.attrs["aria-required"] = "true"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        country = cleaned.get("country")
        if not country:
            return cleaned
        if self.fixed_country and country != self.fixed_country:
            self.add_error("country", _("This store does not ship a changed order to another country."))
        known_provinces = addresses.provinces(country)
        province = cleaned.get("province") or ""
        province_country, _sep, province_code = province.partition(":")
        if known_provinces:
            if not province_code:
                self.add_error("province", _("Choose a state, province or region."))
            elif province_country != country or province_code not in {p.code for p in known_provinces}:
                self.add_error("province", _("Choose a state, province or region in the country you chose."))
            else:
                cleaned["province_code"] = province_code
        else:
            cleaned["province_code"] = ""
        postal = cleaned.get("zip")
        if postal:
            normalized = addresses.normalize_postal_code(country, postal)
            if normalized is None:
                known = addresses.postal_code_format(country)
                self.add_error(
                    "zip",
                    _("Enter a postal code in this country's format, for example %(example)s.")
                    % {"example": known.example if known else ""},
                )
            else:
                cleaned["zip"] = normalized
        phone = (cleaned.get("phone") or "").strip()
        if phone:
            normalized_phone = addresses.normalize_phone(country, phone)
            if normalized_phone is None:
                self.add_error("phone", _("Enter a phone number that works in the country you chose."))
            else:
                cleaned["phone"] = normalized_phone
        return cleaned

    def address(self) -> MailingAddress:
        """The new address (after `is_valid()`): the fields are `MailingAddress`'s, but for the country
        and the province, chosen by code; their names are written in English, as Shopify stores them."""
        data = self.cleaned_data
        country = data["country"]
        province_code = data.get("province_code", "")
        return MailingAddress.from_dict(
            {
                **data,
                "province": addresses.province_name(country, province_code, "en") if province_code else "",
                "province_code": province_code,
                "country": addresses.country_name_en(country),
                "country_code": country,
            }
        ).tidied()


def address_initial(address: MailingAddress) -> dict[str, str]:
    """Form values from an order's current shipping address."""
    country = address.country_code.upper()
    province = f"{country}:{address.province_code}" if country and address.province_code else ""
    return {**address.as_dict(), "country": country, "province": province}


class ItemEditForm(forms.Form):
    """Per editable line: how many to keep (0 removes it) and, where the policy allows, another variant.

    Fields are numbered by the line's place on the page (`quantity_0`, `swap_0`): the Shopify ids stay
    on the server, in the choices the form was built from.
    """

    def __init__(self, *args, choices: list[LineChoice], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line_choices = [choice for choice in choices if choice.editable]
        for index, choice in enumerate(self.line_choices):
            line = choice.line
            self.fields[f"quantity_{index}"] = forms.TypedChoiceField(
                label=_("How many of %(item)s") % {"item": line.title},
                choices=[(n, str(n)) for n in choice.quantities],
                coerce=int,
                initial=line.current_quantity,
                error_messages={"invalid_choice": _("Choose one of the quantities offered.")},
            )
            if choice.swaps:
                self.fields[f"swap_{index}"] = forms.ChoiceField(
                    label=_("Swap %(item)s for") % {"item": line.title},
                    choices=[("", _("Keep %(variant)s") % {"variant": line.variant_title or line.title})]
                    + [(variant.gid, variant.title) for variant in choice.swaps],
                    required=False,
                    error_messages={"invalid_choice": _("That size or colour is not available any more.")},
                )

    def rows(self) -> list[dict[str, Any]]:
        """The template's view: each line with its bound fields."""
        return [
            {
                "choice": choice,
                "quantity": self[f"quantity_{index}"],
                "swap": self[f"swap_{index}"] if f"swap_{index}" in self.fields else None,
            }
            for index, choice in enumerate(self.line_choices)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for index, choice in enumerate(self.line_choices):
            swap, quantity = cleaned.get(f"swap_{index}"), cleaned.get(f"quantity_{index}")
            if swap and quantity is not None and quantity != choice.line.current_quantity:
                self.add_error(f"swap_{index}", _("Swap an item or change its quantity, not both at once."))
        return cleaned

    def changes(self) -> list[LineChange]:
        """Every editable line's wish; `changes_checked` drops the ones left as they are."""
        changes = []
        for index, choice in enumerate(self.line_choices):
            swap = self.cleaned_data.get(f"swap_{index}") or None
            quantity = self.cleaned_data[f"quantity_{index}"]
            changes.append(LineChange(line_item_gid=choice.line.gid, quantity=quantity, swap_to=swap))
        return changes


class ReturnForm(forms.Form):
    """How many of each shipped line to send back (0 keeps it), why, and a note for the store."""

    reason = forms.ChoiceField(
        label=_("Why are you returning them?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    note = forms.CharField(
        label=_("Note for the store (optional)"),
        required=False,
        max_length=280,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lines: list[ReturnableLine], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        reason_field = cast(forms.ChoiceField, self.fields["reason"])
        reason_field.choices = list(RETURN_REASONS.items())
        for index, line in enumerate(lines):
            self.fields[f"quantity_{index}"] = forms.TypedChoiceField(
                label=_("How many of %(item)s") % {"item": line.title},
                choices=[(n, str(n)) for n in range(line.returnable + 1)],
                coerce=int,
                initial=0,
                error_messages={"invalid_choice": _("Choose one of the quantities offered.")},
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"line": line, "quantity": self[f"quantity_{index}"]} for index, line in enumerate(self.lines)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        if not any(self.cleaned_data.get(f"quantity_{index}") for index in range(len(self.lines))):
            raise forms.ValidationError(_("Choose at least one item to return."))
        return self.cleaned_data

    def quantities(self) -> dict[str, int]:
        return {
            line.fulfillment_line_item_gid: self.cleaned_data[f"quantity_{index}"]
            for index, line in enumerate(self.lines)
        }


class LookupForm(forms.Form):
    """A guest's order: its number and the e-mail used at checkout."""

    order_number = forms.CharField(
        label=_("Order number"),
        max_length=64,
        help_text=_("As in your order confirmation, for example #1001."),
        error_messages={"required": _("Enter your order number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    email = forms.EmailField(
        label=_("Email used for the order"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address you used for the order."),
            "invalid": _("Enter an email address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_order_number(self) -> str:
        number = self.cleaned_data["order_number"].strip()
        if not number.lstrip("#").strip():
            raise forms.ValidationError(_("Enter your order number."))
        return number


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the email"),
        max_length=16,
        error_messages={"required": _("Enter the 6-digit code from the email.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("The code has 6 digits."))
        return code


class WithdrawalForm(forms.Form):
    """Step one of a withdrawal: who withdraws, where the acknowledgement goes (the page names the order)."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email for the acknowledgement"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address for the acknowledgement."),
            "invalid": _("Enter an email address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
