"""Countries, provinces, postal codes and phone numbers for the shipping-address form.

Country and subdivision names come from pycountry (ISO 3166, with its own gettext catalogues for Korean
names); phone numbers are checked with `phonenumbers` (Google's libphonenumber metadata). Postal codes are
checked only where this module knows the country's format, in `POSTAL_CODE_FORMATS` below; elsewhere any
non-empty value is accepted, as Shopify does.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
import pycountry
from django.utils.translation import get_language


@dataclass(frozen=True)
class PostalCodeFormat:
    pattern: str  # a full match on the upper-cased, trimmed value
    example: str  # shown to the shopper in the error and as the field's hint


# Postal code formats by country: from each national postal service's published scheme.
# KR: 5-digit 국가기초구역번호 since 2015; US: ZIP or ZIP+4; CA: ANA NAN; JP: 7 digits, dash optional;
# DE: 5-digit PLZ; GB: outward + inward code; FR: 5-digit code postal; AU: 4-digit postcode.
POSTAL_CODE_FORMATS: dict[str, PostalCodeFormat] = {
    "KR": PostalCodeFormat(r"\d{5}", "03187"),
    "US": PostalCodeFormat(r"\d{5}(-\d{4})?", "94103"),
    "CA": PostalCodeFormat(r"[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d", "K1A 0B1"),
    "JP": PostalCodeFormat(r"\d{3}-?\d{4}", "100-0001"),
    "DE": PostalCodeFormat(r"\d{5}", "10115"),
    "GB": PostalCodeFormat(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "FR": PostalCodeFormat(r"\d{5}", "75001"),
    "AU": PostalCodeFormat(r"\d{4}", "2000"),
}

# Countries whose Shopify addresses need a province (state, prefecture, ...). Shopify names Japanese and
# Korean ones by the full ISO 3166-2 code ("KR-11", "JP-13") and the others by the part after the dash
# ("CA" for California, "ON", "NSW").
PROVINCE_COUNTRIES = ("US", "CA", "AU", "JP", "KR")
_FULL_CODE_COUNTRIES = {"JP", "KR"}
# Subdivision types that are not places a parcel goes to as a "province" in Shopify's sense.
_SKIPPED_SUBDIVISION_TYPES = {"Outlying area"}


@dataclass(frozen=True)
class Province:
    code: str  # as Shopify spells provinceCode
    name: str  # English, as Shopify stores `province`


def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    names = _catalogue("iso3166-1", language)
    pairs = [
        (country.alpha_2, names.gettext(getattr(country, "common_name", None) or country.name))
        for country in pycountry.countries
    ]
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Every country, by its name in the shopper's language, sorted by that name."""
    return list(_countries(_base_language(language)))


def country_name(code: str, language: str | None = None) -> str:
    return dict(_countries(_base_language(language))).get(code.upper(), code)


def country_name_en(code: str) -> str:
    return country_name(code, "en")


@cache
def _provinces(country_code: str) -> tuple[Province, ...]:
    subdivisions = pycountry.subdivisions.get(country_code=country_code) or []
    provinces = []
    for subdivision in subdivisions:
        if subdivision.parent_code or subdivision.type in _SKIPPED_SUBDIVISION_TYPES:
            continue
        code = subdivision.code if country_code in _FULL_CODE_COUNTRIES else subdivision.code.split("-", 1)[1]
        provinces.append(Province(code=code, name=subdivision.name))
    return tuple(sorted(provinces, key=lambda province: province.code))


def provinces(country_code: str) -> tuple[Province, ...]:
    """The provinces Shopify asks for in this country; empty where it asks for none."""
    if country_code not in PROVINCE_COUNTRIES:
        return ()
    return _provinces(country_code)


def province_name(country_code: str, province_code: str, language: str | None = None) -> str:
    for province in provinces(country_code):
        if province.code == province_code:
            return _catalogue("iso3166-2", _base_language(language)).gettext(province.name)
    return province_code


def province_choices(language: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Provinces grouped by country (an <optgroup> each), names in the shopper's language."""
    names = _catalogue("iso3166-2", _base_language(language))
    return [
        (
            country_name(country, language),
            [(f"{country}:{p.code}", names.gettext(p.name)) for p in provinces(country)],
        )
        for country in PROVINCE_COUNTRIES
    ]


def postal_code_format(country_code: str) -> PostalCodeFormat | None:
    return POSTAL_CODE_FORMATS.get(country_code)


def normalize_postal_code(country_code: str, value: str) -> str | None:
    """The code as the country writes it, or None when it does not fit the country's known format."""
    value = " ".join(value.strip().upper().split())
    known = POSTAL_CODE_FORMATS.get(country_code)
    if known is None:
        return value
    if not re.fullmatch(known.pattern, value):
        return None
    if country_code in {"CA", "GB"} and " " not in value:
        value = f"{value[:-3]} {value[-3:]}"
    return value


def normalize_phone(country_code: str, value: str) -> str | None:
    """The number in international (E.164) form, or None when it is not a valid number for the country."""
    try:
        number = phonenumbers.parse(value, country_code or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _base_language(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0]
