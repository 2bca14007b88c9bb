"""The one shipping address: every shape it comes in or goes out as, and what "the same address" means.

Shapes: Shopify's GraphQL `MailingAddress` (`from_graphql`) and `MailingAddressInput`
(`as_mailing_address_input`), the REST-shaped `shipping_address` of webhooks (`from_rest`, `as_rest`),
and the JSON the mirror and the requests store (`from_dict`, `as_dict`: the field names below).

Sameness (`same_as`, `changed_parts`) is one definition for everyone who asks: the portal's "nothing
changed" check, the service that refuses such a request, the review page that marks changed fields, and
the push that confirms Shopify shows what was asked. Shopify tidies what it is given (case, spacing,
the phone number's format, its own country and province names), so two addresses are the same when they
differ only in such tidying. `==` stays the dataclass's exact, field-by-field equality.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import phonenumbers

# The parts of an address a shopper can change, in the order a person reads them. `province` and
# `country` are each a name and a code: they compare by the code when there is one (Shopify writes the
# name its own way, and in the store's language), by the name otherwise.
PARTS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "zip",
    "country",
    "phone",
)
# The stored fields each part is made of.
PART_FIELDS: dict[str, tuple[str, ...]] = {
    **{part: (part,) for part in PARTS},
    "province": ("province", "province_code"),
    "country": ("country", "country_code"),
}


@dataclass(frozen=True, slots=True)
class MailingAddress:
    """A shipping address with Shopify's `MailingAddress` field names in snake_case (REST's names)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    province: str = ""
    province_code: str = ""
    country: str = ""
    country_code: str = ""
    zip: str = ""
    phone: str = ""

    # -- shapes -------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MailingAddress:
        """From the stored JSON (or any mapping with these field names: a form's cleaned data, a REST
        body). Unknown keys are ignored, missing or null ones are empty; nothing else is changed, so
        `from_dict(a.as_dict()) == a`. None is the empty address."""
        data = data or {}
        return cls(**{name: _text(data.get(name)) for name in FIELD_NAMES})

    @classmethod
    def coerce(cls, value: MailingAddress | Mapping[str, Any] | None) -> MailingAddress:
        """`value` if it is one already, else `from_dict(value)`."""
        return value if isinstance(value, MailingAddress) else cls.from_dict(value)

    def as_dict(self) -> dict[str, str]:
        """The JSON stored on the mirror's orders and on requests."""
        return {name: getattr(self, name) for name in FIELD_NAMES}

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any] | None) -> MailingAddress | None:
        """From a GraphQL `MailingAddress` selection; None when Shopify has no address."""
        if not node:
            return None
        return cls(
            first_name=_text(node.get("firstName")),
            last_name=_text(node.get("lastName")),
            company=_text(node.get("company")),
            address1=_text(node.get("address1")),
            address2=_text(node.get("address2")),
            city=_text(node.get("city")),
            province=_text(node.get("province")),
            province_code=_text(node.get("provinceCode")),
            country=_text(node.get("country")),
            country_code=_text(node.get("countryCodeV2")),
            zip=_text(node.get("zip")),
            phone=_text(node.get("phone")),
        )

    def as_mailing_address_input(self) -> dict[str, str | None]:
        """The GraphQL `MailingAddressInput` variables. Shopify deprecated the `country` and `province`
        names in input: it takes the codes and writes the names itself."""
        return {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "company": self.company,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "provinceCode": self.province_code or None,
            "countryCode": self.country_code,
            "zip": self.zip,
            "phone": self.phone,
        }

    @classmethod
    def from_rest(cls, payload: Mapping[str, Any] | None) -> MailingAddress | None:
        """From a webhook's REST-shaped `shipping_address` (the same snake_case names, plus `name`,
        `latitude`, `longitude`, which are not kept); None when the order has no address."""
        if not payload:
            return None
        return cls.from_dict(payload)

    def as_rest(self) -> dict[str, str]:
        """The REST shape, as a webhook body carries it."""
        return {
            **self.as_dict(),
            "name": " ".join(part for part in (self.first_name, self.last_name) if part),
        }

    def part(self, name: str) -> str:
        """One of `PARTS` as written here: province and country by their code where there is one."""
        if name == "province":
            return self.province_code or self.province
        if name == "country":
            return self.country_code or self.country
        return getattr(self, name)

    # -- tidying and sameness -----------------------------------------------------------------------

    def tidied(self) -> MailingAddress:
        """What the portal stores from a shopper: every field trimmed, the codes in upper case."""
        stripped = {name: getattr(self, name).strip() for name in FIELD_NAMES}
        stripped["province_code"] = stripped["province_code"].upper()
        stripped["country_code"] = stripped["country_code"].upper()
        return MailingAddress(**stripped)

    def normalised(self) -> MailingAddress:
        """Every field as the comparison sees it: Unicode compatibility form, spacing collapsed, case
        folded; the postal code without spaces or dashes; the codes in upper case; the phone number in
        international form (digits only) when it is a valid number for the address's country, else its
        digits."""
        text = {name: _folded(getattr(self, name)) for name in FIELD_NAMES}
        text["province_code"] = _squashed(self.province_code).upper()
        text["country_code"] = _squashed(self.country_code).upper()
        text["zip"] = "".join(ch for ch in text["zip"] if ch != " " and unicodedata.category(ch) != "Pd")
        text["phone"] = _phone_digits(self.phone, text["country_code"])
        return MailingAddress(**text)

    def changed_parts(self, other: MailingAddress | Mapping[str, Any] | None) -> tuple[str, ...]:
        """The `PARTS` in which `other` is another address than this one (in `PARTS` order)."""
        other = MailingAddress.coerce(other)
        mine, theirs = self.normalised(), other.normalised()
        changed = []
        for part in PARTS:
            if part == "phone":
                same = mine.phone == theirs.phone or _same_digits(self.phone, other.phone)
            else:
                same = mine.part(part) == theirs.part(part)
            if not same:
                changed.append(part)
        return tuple(changed)

    def same_as(self, other: MailingAddress | Mapping[str, Any] | None) -> bool:
        """Whether `other` is this address, up to the tidying Shopify does (None is the empty address)."""
        return not self.changed_parts(other)

    def with_spelling_of(self, other: MailingAddress | Mapping[str, Any] | None) -> MailingAddress:
        """This address, with `other`'s spelling of every part that did not change (the store's province
        name, its format of the same phone number, ...): a new address that changes one line leaves the
        rest as the store wrote it."""
        other = MailingAddress.coerce(other)
        unchanged = set(PARTS) - set(self.changed_parts(other))
        kept = {
            name: getattr(other, name)
            for part in unchanged
            for name in PART_FIELDS[part]
            if getattr(other, name)
        }
        return replace(self, **kept)


FIELD_NAMES = tuple(f.name for f in fields(MailingAddress))

_DIGITS = frozenset("0123456789")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _squashed(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split())


def _folded(value: str) -> str:
    return _squashed(value).casefold()


def _digits(phone: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch in _DIGITS)


def _phone_digits(phone: str, country_code: str) -> str:
    digits = _digits(phone)
    if not digits:
        return ""
    try:
        number = phonenumbers.parse(phone, country_code or None)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_valid_number(number):
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def _same_digits(mine: str, theirs: str) -> bool:
    """Two written numbers are one when their digits are, or when one is the other with a country code in
    front ("+44 20 7946 0958" and "20 7946 0958" on a Canadian address, which no country reading of the
    number makes equal): Shopify may add the code."""
    mine, theirs = _digits(mine), _digits(theirs)
    return bool(mine and theirs) and (mine.endswith(theirs) or theirs.endswith(mine))
