"""`next` never leaves the site: sign-in (password and code), sign-up, sign-out, the language switcher,
the admin's sign-in and its decision pages. The one-time-code sign-in and the language switcher with a
plain `https://` URL are in `test_accounts.py`; these are the other doors and the tricky spellings."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from cancellations.models import Request
from cancellations.services.requests import request_submit
from portal.tests.conftest import make_order, make_shopper

pytestmark = pytest.mark.django_db

# Spellings browsers read as another host.
OFFSITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "http://testserver@evil.example/",
]


def _stays_here(response) -> bool:
    location = response.get("Location", "")
    return "evil.example" not in location and not location.lower().startswith("javascript")


def _code_from_outbox() -> str:
    body = str(mail.outbox[-1].body)
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", body, re.MULTILINE)
    assert code, body
    return code.group(1)


@pytest.mark.parametrize("target", OFFSITE)
def test_a_password_sign_in_does_not_follow_an_offsite_next(client, shop, policy, target):
    """A password is followed by a one-time code here; `next` rides along both steps and is still
    refused at the end."""
    make_shopper("pat@example.com", password="a-long-password-17")

    response = client.post(
        reverse("account_login"),
        {"login": "pat@example.com", "password": "a-long-password-17", "next": target},
    )
    assert response.status_code == 302
    assert _stays_here(response)
    if "_auth_user_id" not in client.session:  # the code step
        response = client.post(response["Location"], {"code": _code_from_outbox(), "next": target})
        assert response.status_code == 302

    assert _stays_here(response)
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("target", OFFSITE)
def test_sign_out_does_not_follow_an_offsite_next(client, shopper, target):
    client.force_login(shopper)

    response = client.post(reverse("account_logout"), {"next": target})

    assert response.status_code == 302
    assert _stays_here(response)


@pytest.mark.parametrize("target", OFFSITE)
def test_the_language_switcher_does_not_follow_an_offsite_next(client, target):
    response = client.post(reverse("set_language"), {"language": "ko", "next": target})

    assert _stays_here(response)


@pytest.mark.parametrize("target", OFFSITE)
def test_the_admin_sign_in_does_not_follow_an_offsite_next(client, target):
    get_user_model().objects.create_user(username="boss", password="a-long-password-17", is_staff=True)

    response = client.post(
        reverse("admin:login"), {"username": "boss", "password": "a-long-password-17", "next": target}
    )

    assert response.status_code == 302
    assert _stays_here(response)


@pytest.mark.parametrize("target", OFFSITE)
def test_a_decision_page_does_not_follow_an_offsite_next(client, shop, policy, shopper, target):
    policy.auto_approve_cancels = False
    policy.save()
    waiting = request_submit(
        order=make_order(shop, "ada@example.com"),
        shopper=shopper,
        kind=Request.Kind.CANCEL,
        reason_code="changed_my_mind",
    )
    moderator = get_user_model().objects.create_user(username="mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)

    response = client.post(
        reverse("admin:cancellations_request_reject"),
        {"ids": str(waiting.pk), "confirm": "1", "message": "Already packed.", "next": target},
    )

    assert response.status_code == 302
    assert _stays_here(response)
    waiting.refresh_from_db()
    assert waiting.state == Request.State.REJECTED
