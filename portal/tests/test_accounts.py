from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from portal.models import ShopperProfile

pytestmark = pytest.mark.django_db


def _code_from_outbox() -> str:
    body = str(mail.outbox[-1].body)
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", body, re.MULTILINE)
    assert code, body
    return code.group(1)


def test_a_shopper_signs_in_with_a_code_sent_by_email(client, shopper, order):
    response = client.post(reverse("account_request_login_code"), {"email": "ADA@example.com"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["ada@example.com"]
    response = client.post(reverse("account_confirm_login_code"), {"code": _code_from_outbox()})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:list")
    assert order.name in client.get(reverse("orders:list")).content.decode()


def test_a_new_shopper_signs_up_without_a_password_and_verifies_by_code(client, shop, policy):
    from portal.tests.conftest import make_order

    order = make_order(shop, "new@example.com")
    response = client.post(reverse("account_signup"), {"email": "new@example.com"})
    assert response.status_code == 302
    code = _code_from_outbox()
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302
    assert order.name in client.get(reverse("orders:list")).content.decode()


def test_next_only_redirects_to_this_site(client, shopper):
    client.post(
        reverse("account_request_login_code") + "?next=https://evil.example/x", {"email": "ada@example.com"}
    )
    response = client.post(
        reverse("account_confirm_login_code"), {"code": _code_from_outbox(), "next": "https://evil.example/x"}
    )
    assert "evil.example" not in response.get("Location", "")
    response = client.post(reverse("set_language"), {"language": "ko", "next": "https://evil.example/"})
    assert "evil.example" not in response["Location"]


def test_the_language_switcher_sets_the_language_and_remembers_it_for_the_shopper(client, shopper):
    client.force_login(shopper)
    response = client.post(reverse("set_language"), {"language": "ko", "next": reverse("orders:list")})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:list")
    assert ShopperProfile.objects.get(user=shopper).language == "ko"
    assert 'lang="ko"' in client.get(reverse("orders:list")).content.decode()


def test_a_sign_in_brings_back_the_shoppers_language(client, shopper):
    ShopperProfile.objects.create(user=shopper, language="ko")
    client.post(reverse("account_request_login_code"), {"email": "ada@example.com"})
    response = client.post(reverse("account_confirm_login_code"), {"code": _code_from_outbox()})
    assert response.cookies["django_language"].value == "ko"


def test_the_browser_language_is_used_first(client, shopper):
    client.force_login(shopper)
    html = client.get(reverse("orders:list"), HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").content.decode()
    assert 'lang="ko"' in html


def test_the_account_page_lists_the_addresses_and_the_language(client, shopper):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=shopper, email="ada.work@example.com", verified=False)
    client.force_login(shopper)
    html = client.get(reverse("account")).content.decode()
    assert "ada@example.com" in html and "ada.work@example.com" in html
    assert "Not verified" in html
    assert 'name="language"' in html


def test_sign_out_is_a_post(client, shopper):
    client.force_login(shopper)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("orders:list")).status_code == 302


def test_allauth_rate_limits_sign_in_codes(shopper):
    from django.test import Client

    responses = [
        Client().post(reverse("account_request_login_code"), {"email": "ada@example.com"}) for _ in range(4)
    ]
    assert [r.status_code for r in responses] == [302, 302, 302, 200]
    assert "Too many" in responses[-1].content.decode()
    assert len(mail.outbox) == 3


@override_settings(PORTAL_REQUEST_RATE="2/h")
def test_request_endpoints_are_rate_limited(client, order, shopper):
    client.force_login(shopper)
    url = reverse("orders:cancel", args=[order.legacy_id])
    statuses = [client.post(url, {"reason": "other", "comment": ""}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_no_store_secret_reaches_a_page(client, shopper, order, settings):
    settings.SHOPIFY_ACCESS_TOKEN = "shpat_secret_token_value"
    settings.SHOPIFY_API_SECRET = ["webhook-secret-value"]
    client.force_login(shopper)
    for url in (
        reverse("orders:list"),
        reverse("orders:detail", args=[order.legacy_id]),
        reverse("orders:cancel", args=[order.legacy_id]),
        reverse("orders:address", args=[order.legacy_id]),
        reverse("account"),
    ):
        html = client.get(url).content.decode()
        assert "shpat_secret_token_value" not in html and "webhook-secret-value" not in html
