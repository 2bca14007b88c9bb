"""Guests without an account: the lookup (order number + e-mail, then a code), the signed link from
Shopify's e-mails, and what a guest's pass opens (that one order, nothing else)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

import liquid
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Request
from portal.models import OrderAccessCode, OrderLinkKey
from portal.order_access import (
    CODE_TRIES,
    link_key_create,
    link_key_secret,
    link_keys_retire,
    link_token,
    liquid_snippets,
)
from portal.tests.conftest import VALID_ADDRESS_POST, make_order
from portal.tests.test_ownership import METHODS, ORDER_URLS

pytestmark = pytest.mark.django_db


def _code_from(mail) -> str:
    found = re.search(r"\b(\d{6})\b", mail.body)
    assert found, mail.body
    return found.group(1)


def _lookup(client, number: str, email: str):
    return client.post(reverse("lookup"), {"order_number": number, "email": email})


def _open_with_code(client, order, mailoutbox, *, email="ada@example.com"):
    _lookup(client, order.name, email)
    return client.post(reverse("lookup_code"), {"code": _code_from(mailoutbox[-1])})


# The lookup ------------------------------------------------------------------------------------------


def test_lookup_mails_a_code_to_the_orders_address_and_the_code_opens_the_order(client, order, mailoutbox):
    response = _lookup(client, order.name.lstrip("#"), "  ADA@Example.com ")
    assert response.status_code == 302 and response["Location"] == reverse("lookup_code")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ada@example.com"]
    assert order.name in mailoutbox[0].subject
    response = client.post(reverse("lookup_code"), {"code": _code_from(mailoutbox[0])})
    assert response["Location"] == reverse("orders:detail", args=[order.legacy_id])
    assert order.name in client.get(response["Location"]).content.decode()
    # The code is spent.
    assert OrderAccessCode.objects.get().used_at is not None
    assert OrderAccessCode.objects.get().code_hash != _code_from(mailoutbox[0])


def test_a_wrong_email_gets_the_same_page_and_no_email(client, order, mailoutbox):
    right = _lookup(client, order.name, "ada@example.com")
    right_page = client.get(reverse("lookup_code")).content.decode().replace("ada@example.com", "X")
    other = type(client)()
    wrong = _lookup(other, order.name, "mallory@example.com")
    wrong_page = other.get(reverse("lookup_code")).content.decode().replace("mallory@example.com", "X")
    assert right.status_code == wrong.status_code == 302
    assert right["Location"] == wrong["Location"]
    assert _without_tokens(right_page) == _without_tokens(wrong_page)
    assert len(mailoutbox) == 1  # only the order's own address got one
    for _ in range(CODE_TRIES):
        response = other.post(reverse("lookup_code"), {"code": "123456"})
    assert "Ask for a new code" in response.content.decode()
    assert "orders" not in response.get("Location", "")


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_an_unknown_number_sends_nothing(client, order, mailoutbox):
    assert _lookup(client, "#99999", "ada@example.com").status_code == 302
    assert mailoutbox == []


def test_the_form_says_what_to_fix(client, order):
    response = client.post(reverse("lookup"), {"order_number": "#", "email": "not-an-email"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter your order number." in html and "Enter an email address like" in html


def test_the_form_speaks_korean(client, order):
    response = client.post(reverse("lookup"), {"order_number": "", "email": ""}, HTTP_ACCEPT_LANGUAGE="ko")
    assert "주문 번호" in response.content.decode()


def test_a_code_brute_force_is_refused_after_five_tries(client, order, mailoutbox):
    _lookup(client, order.name, "ada@example.com")
    right = _code_from(mailoutbox[0])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _attempt in range(CODE_TRIES):
        response = client.post(reverse("lookup_code"), {"code": wrong})
        assert response.status_code == 400
    # The right code no longer opens anything: the row is spent by the tries.
    response = client.post(reverse("lookup_code"), {"code": right})
    assert response.status_code == 400
    assert "Ask for a new code" in response.content.decode()
    assert client.get(reverse("orders:detail", args=[order.legacy_id])).status_code == 302  # to sign in
    assert OrderAccessCode.objects.get().attempts == CODE_TRIES


def test_a_code_expires_after_ten_minutes(client, order, mailoutbox):
    _lookup(client, order.name, "ada@example.com")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(reverse("lookup_code"), {"code": _code_from(mailoutbox[0])})
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_codes_mailed_to_one_address_are_limited_whatever_the_client(order, mailoutbox, settings):
    from django.test import Client

    settings.PORTAL_LOOKUP_MAIL_RATE = "3/h"
    for n in range(5):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(
            reverse("lookup"), {"order_number": order.name, "email": "ada@example.com"}
        )
    assert len(mailoutbox) == 3


def test_lookups_from_one_client_are_rate_limited(client, order, settings):
    settings.PORTAL_LOOKUP_RATE = "3/h"
    statuses = [_lookup(client, f"#{1000 + n}", f"x{n}@example.com").status_code for n in range(5)]
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]


# What a guest's pass opens ---------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ORDER_URLS)
@pytest.mark.parametrize("method", METHODS)
def test_a_guest_gets_404_on_every_other_order(client, shop, order, mailoutbox, url_name, method):
    other = make_order(shop, "mallory@example.com")
    _open_with_code(client, order, mailoutbox)
    response = getattr(client, method)(reverse(url_name, args=[other.legacy_id]), {})
    assert response.status_code == 404
    assert other.name not in response.content.decode()
    assert not Request.objects.exists()


def test_a_guest_list_holds_only_their_one_order(client, shop, order, mailoutbox):
    same_shopper_other_order = make_order(shop, "ada@example.com")
    _open_with_code(client, order, mailoutbox)
    html = client.get(reverse("orders:list")).content.decode()
    assert reverse("orders:detail", args=[order.legacy_id]) in html
    assert reverse("orders:detail", args=[same_shopper_other_order.legacy_id]) not in html
    # The pass opens one order: another of the same address needs its own code or an account.
    assert client.get(reverse("orders:detail", args=[same_shopper_other_order.legacy_id])).status_code == 404


def test_a_guest_cancels_and_changes_the_address(client, shop, order, mailoutbox):
    _open_with_code(client, order, mailoutbox)
    response = client.post(
        reverse("orders:cancel", args=[order.legacy_id]), {"reason": "changed_my_mind", "confirm": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get()
    assert request.kind == Request.Kind.CANCEL and request.shopper is None
    assert request.shopper_email == "ada@example.com"
    first_event = request.events.order_by("pk").first()
    assert first_event is not None and first_event.actor_label == "shopper:guest"

    second = make_order(shop, "ada@example.com")
    _open_with_code(client, second, mailoutbox)
    response = client.post(reverse("orders:address", args=[second.legacy_id]), VALID_ADDRESS_POST)
    assert response.status_code == 302
    assert Request.objects.filter(order=second, kind=Request.Kind.ADDRESS_CHANGE).exists()


def test_another_shops_order_is_not_found_by_lookup(client, order, mailoutbox):
    from shopify_sync.tests.factories import ShopFactory

    elsewhere = make_order(ShopFactory(domain="elsewhere.myshopify.com"), "ada@example.com")
    _lookup(client, elsewhere.name, "ada@example.com")
    assert all(elsewhere.name not in mail.subject for mail in mailoutbox)


# Signed links ----------------------------------------------------------------------------------------


def _liquid_link(snippet: str, *, order, email: str) -> str:
    """Render the snippet the console shows as Shopify's Liquid would, with Shopify's `hmac_sha256`
    (the hex HMAC-SHA-256 of the input, keyed by the argument)."""
    env = liquid.Environment()
    env.filters["hmac_sha256"] = lambda value, key: hmac.new(
        str(key).encode(), str(value).encode(), hashlib.sha256
    ).hexdigest()
    html = env.from_string(snippet).render(
        id=order.legacy_id, email=email, order={"id": order.legacy_id, "email": email}
    )
    href = re.search(r'href="([^"]+)"', html)
    assert href, html
    return href.group(1)


@pytest.mark.parametrize("where", ["notification", "order_status"])
def test_a_link_signed_by_the_liquid_snippet_opens_the_order(client, shop, order, where):
    key = link_key_create(shop=shop)
    snippet = liquid_snippets(secret=link_key_secret(key), portal_url="https://help.example")[where]
    # Shopify's e-mail carries the address as the shopper typed it; the snippet lower-cases it.
    url = _liquid_link(snippet, order=order, email="Ada@Example.com")
    assert url.startswith("https://help.example/o/")
    response = client.get(url.removeprefix("https://help.example"))
    assert response["Location"] == reverse("orders:detail", args=[order.legacy_id])
    assert client.get(response["Location"]).status_code == 200


def test_a_tampered_link_and_another_orders_link_are_refused(client, shop, order):
    key = link_key_create(shop=shop)
    secret = link_key_secret(key)
    other = make_order(shop, "mallory@example.com")
    good = link_token(secret=secret, order_legacy_id=order.legacy_id, email=order.email)
    mac = good.split("-", 1)[1]
    refused = [
        good[:-1] + ("0" if good[-1] != "0" else "1"),  # one character changed
        f"{other.legacy_id}-{mac}",  # this order's MAC on another order
        link_token(secret="not-the-secret", order_legacy_id=order.legacy_id, email=order.email),
        link_token(secret=secret, order_legacy_id=order.legacy_id, email="old@example.com"),  # email changed
        "garbage",
    ]
    for token in refused:
        response = client.get(reverse("signed_link", args=[token]))
        assert response.status_code == 404
        assert reverse("lookup") in response.content.decode()
    assert client.get(reverse("orders:detail", args=[order.legacy_id])).status_code == 302


def test_a_rotation_accepts_old_and_new_keys_until_the_old_is_retired(client, shop, order):
    old = link_key_create(shop=shop)
    new = link_key_create(shop=shop)
    old_link = link_token(secret=link_key_secret(old), order_legacy_id=order.legacy_id, email=order.email)
    new_link = link_token(secret=link_key_secret(new), order_legacy_id=order.legacy_id, email=order.email)
    assert client.get(reverse("signed_link", args=[old_link])).status_code == 302
    assert client.get(reverse("signed_link", args=[new_link])).status_code == 302
    assert link_keys_retire(shop=shop, keep=new) == 1
    assert type(client)().get(reverse("signed_link", args=[old_link])).status_code == 404
    assert type(client)().get(reverse("signed_link", args=[new_link])).status_code == 302


def test_another_stores_key_does_not_sign_this_stores_orders(client, shop, order):
    from shopify_sync.tests.factories import ShopFactory

    foreign = link_key_create(shop=ShopFactory(domain="elsewhere.myshopify.com"))
    token = link_token(secret=link_key_secret(foreign), order_legacy_id=order.legacy_id, email=order.email)
    assert client.get(reverse("signed_link", args=[token])).status_code == 404


def test_the_console_shows_the_snippet_filled_in_and_the_secret_is_stored_encrypted(admin_client, shop):
    response = admin_client.post(reverse("admin:portal_orderlinkkey_add"), {"shop": shop.pk})
    assert response.status_code == 302
    key = OrderLinkKey.objects.get()
    secret = link_key_secret(key)
    assert secret not in key.secret_encrypted
    html = admin_client.get(reverse("admin:portal_orderlinkkey_change", args=[key.pk])).content.decode()
    assert f"hmac_sha256: &#x27;{secret}&#x27;" in html
    assert "/o/{{ id }}-" in html and "{{ order.id }}" in html


def test_encryption_rotate_reencrypts_link_keys_too(client, shop, order, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    key = link_key_create(shop=shop)
    secret = link_key_secret(key)
    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    call_command("encryption_rotate")
    settings.PORTAL_ENCRYPTION_KEYS = [new]  # the old key is gone: the link still verifies
    key.refresh_from_db()
    assert link_key_secret(key) == secret
    token = link_token(secret=secret, order_legacy_id=order.legacy_id, email=order.email)
    assert client.get(reverse("signed_link", args=[token])).status_code == 302


def test_expired_codes_are_pruned_a_day_later(client, order, mailoutbox):
    from portal.tasks import prune_order_access_codes

    _lookup(client, order.name, "ada@example.com")
    assert prune_order_access_codes() == 0
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=11)):
        assert prune_order_access_codes() == 1
    assert not OrderAccessCode.objects.exists()
