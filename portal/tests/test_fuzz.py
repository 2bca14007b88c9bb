"""Bad input gets a 4xx, never a 500: the cases found answering 500, and hypothesis throwing arbitrary text
at the shopper's forms, the lookup, the order URLs and the console's filters."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.tests.conftest import make_order

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Any text, NUL, lone surrogates escaped as the wire would carry them, huge numbers, odd digits.
TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "\x00",
            "²",
            "٣",
            "-1",
            "9" * 40,
            "9999-12-31",
            "%00",
            "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
        ]
    ),
)


def _no_500(response) -> None:
    assert response.status_code < 500, response.content[:500]


@pytest.fixture
def quiet_client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/cancellations/request/?ids=%C2%B2",
        "/admin/cancellations/request/?kind__exact=%00",
        "/admin/cancellations/request/insights/?start=9999-12-31&end=9999-12-31",
        "/admin/cancellations/request/insights/?year=9999",
        "/admin/shopify_sync/order/?q=%00",
    ],
)
def test_the_console_cases_found_answering_500(admin_client, url):
    admin_client.raise_request_exception = False
    _no_500(admin_client.get(url))


def test_a_form_in_an_unknown_or_latin_1_charset(quiet_client, shop, policy):
    for charset in ("latin-1", "bogus-charset", "utf-16"):
        response = quiet_client.generic(
            "POST",
            reverse("lookup"),
            data=b"order_number=%E9&email=a%40b.c",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        _no_500(response)


def test_deeply_nested_json_to_the_webhook_endpoint(quiet_client):
    body = "[" * 1500 + "]" * 1500
    _no_500(quiet_client.post("/shopify/webhooks/", data=body, content_type="application/json"))


def test_negative_and_huge_order_ids(client, shopper, shop, policy):
    client.force_login(shopper)
    for path in ("/orders/-1/", f"/orders/{'9' * 30}/", "/orders/0/cancel/", "/o/-1-abc/"):
        assert client.get(path).status_code == 404


@FUZZ
@given(number=TEXT, email=TEXT, code=TEXT)
def test_the_lookup_takes_any_text(quiet_client, shop, policy, number, email, code):
    _no_500(quiet_client.post(reverse("lookup"), {"order_number": number, "email": email}))
    _no_500(quiet_client.post(reverse("lookup_code"), {"code": code}))


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "reason",
                "comment",
                "confirm",
                "address1",
                "city",
                "zip",
                "country",
                "province",
                "phone",
                "name",
                "email",
            ]
        ),
        TEXT,
        max_size=8,
    ),
    page=TEXT,
)
def test_the_shoppers_forms_take_any_text(shop, policy, shopper, fields, page):
    client = Client(raise_request_exception=False)
    client.force_login(shopper)
    order = make_order(shop, shopper.email)
    for name in ("orders:cancel", "orders:address"):
        _no_500(client.post(reverse(name, args=[order.legacy_id]), fields))
    _no_500(client.get(reverse("orders:list"), {"page": page}))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "kind__exact",
                "state__exact",
                "q",
                "o",
                "p",
                "created_at__gte",
                "ids",
                "failure_code__exact",
                "is_withdrawal__exact",
            ]
        ),
        TEXT,
        max_size=4,
    )
)
def test_the_consoles_filters_take_any_text(admin_user, params):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    _no_500(client.get("/admin/cancellations/request/", params))
    _no_500(client.get("/admin/shopify_sync/order/", params))
