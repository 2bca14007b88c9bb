"""The one shipping address: its shapes (GraphQL, MailingAddressInput, REST, stored JSON) and sameness."""

from __future__ import annotations

import pytest

from shopify_sync.addresses import PARTS, MailingAddress
from shopify_sync.types import MailingAddress as ReExported

TORONTO = MailingAddress(
    first_name="Ada",
    last_name="Byron",
    address1="99 Queen St W",
    address2="Suite 5",
    city="Toronto",
    province="Ontario",
    province_code="ON",
    country="Canada",
    country_code="CA",
    zip="M5H 2N2",
    phone="+1 416 555 0100",
)
SEOUL = MailingAddress(
    first_name="Ada",
    last_name="Lee",
    address1="12 Sejong-daero",
    city="Seoul",
    province="Seoul",
    province_code="KR-11",
    country="South Korea",
    country_code="KR",
    zip="03187",
    phone="+82212345678",
)


def test_it_is_the_type_the_rest_of_shopify_sync_reads():
    assert ReExported is MailingAddress


# -- shapes -------------------------------------------------------------------------------------------


def test_it_reads_a_graphql_mailing_address():
    node = {
        "firstName": "Minji",
        "lastName": "Kim",
        "company": None,
        "address1": "123 Teheran-ro",
        "address2": None,
        "city": "Seoul",
        "province": "Seoul",
        "provinceCode": "KR-11",
        "country": "South Korea",
        "countryCodeV2": "KR",
        "zip": "06236",
        "phone": "+821012345678",
    }

    assert MailingAddress.from_graphql(node) == MailingAddress(
        first_name="Minji",
        last_name="Kim",
        address1="123 Teheran-ro",
        city="Seoul",
        province="Seoul",
        province_code="KR-11",
        country="South Korea",
        country_code="KR",
        zip="06236",
        phone="+821012345678",
    )
    assert MailingAddress.from_graphql(None) is None


def test_it_writes_the_mailing_address_input_shopify_takes(shopify_schema):
    from graphql.utilities import coerce_input_value

    variables = TORONTO.as_mailing_address_input()

    assert variables == {
        "firstName": "Ada",
        "lastName": "Byron",
        "company": "",
        "address1": "99 Queen St W",
        "address2": "Suite 5",
        "city": "Toronto",
        "provinceCode": "ON",
        "countryCode": "CA",
        "zip": "M5H 2N2",
        "phone": "+1 416 555 0100",
    }
    coerce_input_value(variables, shopify_schema.get_type("MailingAddressInput"))  # raises when not
    no_province = MailingAddress(address1="1 High St", country_code="GB")
    assert no_province.as_mailing_address_input()["provinceCode"] is None


def test_it_reads_and_writes_the_rest_shape_of_webhooks():
    body = {
        "first_name": "Jon",
        "last_name": "Doe",
        "name": "Jon Doe",
        "company": None,
        "address1": "123 Amoebobacterieae St",
        "address2": "",
        "city": "Ottawa",
        "province": "Ontario",
        "province_code": "ON",
        "country": "Canada",
        "country_code": "CA",
        "zip": "K2P0V6",
        "phone": "555-625-1199",
        "latitude": 45.41634,
        "longitude": -75.6868,
    }

    address = MailingAddress.from_rest(body)

    assert address == MailingAddress(
        first_name="Jon",
        last_name="Doe",
        address1="123 Amoebobacterieae St",
        city="Ottawa",
        province="Ontario",
        province_code="ON",
        country="Canada",
        country_code="CA",
        zip="K2P0V6",
        phone="555-625-1199",
    )
    assert address.as_rest()["name"] == "Jon Doe"
    assert MailingAddress.from_rest(address.as_rest()) == address
    assert MailingAddress.from_rest(None) is None and MailingAddress.from_rest({}) is None


def test_the_stored_json_round_trips_exactly():
    stored = TORONTO.as_dict()

    assert list(stored) == [
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "province",
        "province_code",
        "country",
        "country_code",
        "zip",
        "phone",
    ]
    assert MailingAddress.from_dict(stored) == TORONTO
    # Older rows may miss keys or hold nulls; unknown keys (a form's extras) are ignored.
    assert MailingAddress.from_dict({"city": "Toronto", "zip": None, "confirm": "1"}) == MailingAddress(
        city="Toronto"
    )
    assert MailingAddress.from_dict(None) == MailingAddress()
    assert MailingAddress.coerce(TORONTO) is TORONTO
    assert MailingAddress.coerce(stored) == TORONTO


def test_tidied_trims_every_field_and_upper_cases_the_codes():
    messy = MailingAddress(
        address1="  99 Queen St W ", city="Toronto\n", province_code=" on", country_code="ca "
    )

    assert messy.tidied() == MailingAddress(
        address1="99 Queen St W", city="Toronto", province_code="ON", country_code="CA"
    )


def test_a_part_is_read_by_its_code_where_there_is_one():
    assert SEOUL.part("province") == "KR-11" and SEOUL.part("country") == "KR"
    assert MailingAddress(province="Essex", country="United Kingdom").part("province") == "Essex"
    assert MailingAddress(country="United Kingdom").part("country") == "United Kingdom"
    assert SEOUL.part("address1") == "12 Sejong-daero"


# -- sameness: one definition for the portal's "nothing changed" and the push's "Shopify shows it" --------


def test_normalised_is_what_the_comparison_sees():
    shown = MailingAddress(
        first_name="  ADA ",
        address1="99  Queen\tSt W",
        city="".join(chr(ord(ch) + 0xFEE0) for ch in "Toronto"),  # full-width, as CJK keyboards type it
        province_code="on",
        country_code="ca",
        zip="m5h 2n2",
        phone="(416) 555-0100",
    ).normalised()

    assert (shown.first_name, shown.address1, shown.city) == ("ada", "99 queen st w", "toronto")
    assert (shown.province_code, shown.country_code, shown.zip) == ("ON", "CA", "m5h2n2")
    assert shown.phone == "14165550100"  # E.164 digits, read in the address's country


@pytest.mark.parametrize(
    "tidied_by_shopify",
    [
        # Shopify tidies case and spacing (the push's comparison)
        {"first_name": "ADA", "address1": "99 queen st w", "city": " Toronto "},
        {"address1": "99  Queen St  W", "address2": "suite 5"},
        # the postal code, with or without its space
        {"zip": "m5h2n2"},
        # the phone number's format, with or without the country code (push) or only its digits (portal)
        {"phone": "416-555-0100"},
        {"phone": "+14165550100"},
        {"phone": "1 (416) 555-0100"},
        # its own names for the province and the country: they compare by code (portal)
        {"province": "ON", "country": "Canada (CA)"},
        # the codes' case
        {"province_code": "on", "country_code": "ca"},
    ],
)
def test_an_address_shopify_only_tidied_is_the_same_address(tidied_by_shopify):
    shown = MailingAddress(**{**TORONTO.as_dict(), **tidied_by_shopify})

    assert shown.same_as(TORONTO) and TORONTO.same_as(shown)
    assert shown.changed_parts(TORONTO) == ()


@pytest.mark.parametrize(
    ("change", "part"),
    [
        ({"first_name": "Augusta"}, "first_name"),
        ({"last_name": "King"}, "last_name"),
        ({"company": "Analytical Engines"}, "company"),
        ({"address1": "100 Queen St W"}, "address1"),
        ({"address2": ""}, "address2"),
        ({"city": "Ottawa"}, "city"),
        ({"province_code": "QC", "province": "Quebec"}, "province"),
        ({"zip": "M5H 2N3"}, "zip"),
        ({"country_code": "US", "country": "United States"}, "country"),
        ({"phone": "+1 416 555 0199"}, "phone"),
        ({"phone": ""}, "phone"),
    ],
)
def test_any_real_change_is_another_address(change, part):
    moved = MailingAddress(**{**TORONTO.as_dict(), **change})

    assert not moved.same_as(TORONTO) and not TORONTO.same_as(moved)
    assert moved.changed_parts(TORONTO) == (part,)


def test_a_korean_number_is_the_same_in_its_national_and_its_international_form():
    # The store wrote the number nationally (with the trunk 0); the form writes E.164.
    national = MailingAddress(**{**SEOUL.as_dict(), "phone": "02-1234-5678"})

    mobile = MailingAddress(**{**SEOUL.as_dict(), "phone": "+82 10-1234-5678"})

    assert national.same_as(SEOUL)
    assert mobile.changed_parts(SEOUL) == ("phone",)


def test_a_number_from_another_country_compares_by_its_digits():
    # Not a Canadian number: no E.164 form for the address's country, so digits, with or without the code.
    london = MailingAddress(**{**TORONTO.as_dict(), "phone": "+44 20 7946 0958"})

    assert london.same_as(MailingAddress(**{**TORONTO.as_dict(), "phone": "20 7946 0958"}))
    assert not london.same_as(TORONTO)


def test_without_codes_province_and_country_compare_by_name():
    essex = MailingAddress(
        address1="1 High St", city="Chelmsford", province="Essex", country="United Kingdom"
    )

    assert essex.same_as(MailingAddress(**{**essex.as_dict(), "province": "ESSEX"}))
    assert essex.changed_parts(MailingAddress(**{**essex.as_dict(), "province": "Kent"})) == ("province",)
    # a code on one side only is a change: Shopify files the two differently
    assert essex.changed_parts(MailingAddress(**{**essex.as_dict(), "country_code": "GB"})) == ("country",)


def test_it_compares_with_a_stored_dict_or_no_address_at_all():
    assert TORONTO.same_as(TORONTO.as_dict())
    assert not TORONTO.same_as(None)
    assert TORONTO.changed_parts(None) == tuple(part for part in PARTS if part != "company")
    assert MailingAddress().same_as(None)


def test_a_new_address_keeps_the_stores_spelling_of_what_did_not_change():
    typed = MailingAddress(
        first_name="ada",
        last_name="Lee",
        address1="1 Teheran-ro",  # the one real change
        city="Seoul",
        province="Seoul-teukbyeolsi",
        province_code="KR-11",
        country="Korea, Republic of",
        country_code="KR",
        zip="03187",
        phone="+82212345678",
    )

    kept = typed.with_spelling_of(MailingAddress(**{**SEOUL.as_dict(), "phone": "02-1234-5678"}))

    assert kept == MailingAddress(
        first_name="Ada",
        last_name="Lee",
        address1="1 Teheran-ro",
        city="Seoul",
        province="Seoul",
        province_code="KR-11",
        country="South Korea",
        country_code="KR",
        zip="03187",
        phone="02-1234-5678",
    )
    assert kept.same_as(typed)
    # a part that changed keeps the new spelling
    assert typed.with_spelling_of(TORONTO).address1 == "1 Teheran-ro"
    assert typed.with_spelling_of(TORONTO).province == "Seoul-teukbyeolsi"
