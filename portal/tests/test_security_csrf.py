"""CSRF is enforced on every form that changes something: shopper pages, sign-in, the merchant console.

Each form is posted twice by a client that checks CSRF the way a browser session is checked: without a
token it is refused (403) and nothing changes; with a valid token the same post gets past the check (so a
403 above is the CSRF check, not a page that refuses everything). The webhook endpoint is the one
exemption: it is authenticated by Shopify's HMAC instead (`shopify_sync/tests/test_webhook_view.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from cancellations.models import Policy, Request
from cancellations.services.requests import request_submit
from portal.tests.conftest import VALID_ADDRESS_POST, make_order, make_shopper

pytestmark = pytest.mark.django_db

CSRF_SECRET = "a" * 32  # a CSRF cookie value; the same string posted back is a valid (unmasked) token


@dataclass(frozen=True)
class Form:
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    user: str | None  # "shopper", "moderator" or None (signed out)


VALID_ADDRESS = VALID_ADDRESS_POST

FORMS: dict[str, Form] = {
    "order cancel": Form(
        lambda w: reverse("orders:cancel", args=[w["order"].legacy_id]),
        lambda w: {"reason": "changed_my_mind", "confirm": "on"},
        "shopper",
    ),
    "order address": Form(
        lambda w: reverse("orders:address", args=[w["order"].legacy_id]), lambda w: VALID_ADDRESS, "shopper"
    ),
    "language": Form(lambda w: reverse("set_language"), lambda w: {"language": "ko", "next": "/"}, "shopper"),
    "sign out": Form(lambda w: reverse("account_logout"), lambda w: {}, "shopper"),
    "add e-mail": Form(
        lambda w: reverse("account_email"),
        lambda w: {"email": "ada.2@example.com", "action_add": ""},
        "shopper",
    ),
    "set password": Form(
        lambda w: reverse("account_set_password"),
        lambda w: {"password1": "a-long-new-password-9", "password2": "a-long-new-password-9"},
        "shopper",
    ),
    "request sign-in code": Form(
        lambda w: reverse("account_request_login_code"), lambda w: {"email": "ada@example.com"}, None
    ),
    "sign in with a password": Form(
        lambda w: reverse("account_login"),
        lambda w: {"login": "ada@example.com", "password": "not-the-password"},
        None,
    ),
    "sign up": Form(lambda w: reverse("account_signup"), lambda w: {"email": "new@example.com"}, None),
    "password reset": Form(
        lambda w: reverse("account_reset_password"), lambda w: {"email": "ada@example.com"}, None
    ),
    "admin sign in": Form(
        lambda w: reverse("admin:login"), lambda w: {"username": "moderator", "password": "wrong"}, None
    ),
    "admin sign out": Form(lambda w: reverse("admin:logout"), lambda w: {}, "moderator"),
    "approve": Form(
        lambda w: reverse("admin:cancellations_request_approve"),
        lambda w: {"ids": str(w["request"].pk), "confirm": "1", "refund": "full", "restock": "on"},
        "moderator",
    ),
    "reject": Form(
        lambda w: reverse("admin:cancellations_request_reject"),
        lambda w: {"ids": str(w["request"].pk), "confirm": "1", "message": "Already packed."},
        "moderator",
    ),
    "retry": Form(
        lambda w: reverse("admin:cancellations_request_retry"),
        lambda w: {"ids": str(w["request"].pk)},
        "moderator",
    ),
    "changelist action": Form(
        lambda w: reverse("admin:cancellations_request_changelist"),
        lambda w: {"action": "approve_selected", "_selected_action": [w["request"].pk]},
        "moderator",
    ),
    "policy": Form(
        lambda w: reverse("admin:cancellations_policy_change", args=[w["policy"].pk]),
        lambda w: {"cancel_window_minutes": "1", "address_window_minutes": "1"},
        "moderator",
    ),
}


@pytest.fixture
def world(shop, policy, shopper):
    policy.auto_approve_cancels = False
    policy.save()
    moderator = get_user_model().objects.create_user(
        username="moderator", password="not-a-secret-1", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    waiting = request_submit(
        order=make_order(shop, "ada@example.com"),
        shopper=shopper,
        kind=Request.Kind.CANCEL,
        reason_code="changed_my_mind",
    )
    return {
        "order": make_order(shop, "ada@example.com"),
        "request": waiting,
        "policy": policy,
        "users": {"shopper": shopper, "moderator": moderator},
    }


def _snapshot() -> tuple:
    policy = Policy.objects.get()
    return (
        sorted(Request.objects.values_list("pk", "state", "requested_address")),
        policy.cancel_window_minutes,
        sorted(get_user_model().objects.values_list("username", "password")),
        sorted(EmailAddress.objects.values_list("email", "verified")),
    )


def _client(world, form: Form) -> Client:
    client = Client(enforce_csrf_checks=True)
    if form.user:
        client.force_login(world["users"][form.user])
    return client


@pytest.mark.parametrize("name", FORMS)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(world, name):
    form = FORMS[name]
    client = _client(world, form)
    before = _snapshot()

    response = client.post(form.url(world), form.data(world))

    assert response.status_code == 403
    assert _snapshot() == before
    if form.user:  # still signed in: the refused sign-out did not sign anyone out
        assert "_auth_user_id" in client.session


@pytest.mark.parametrize("name", FORMS)
def test_a_post_with_a_wrong_csrf_token_is_refused(world, name):
    form = FORMS[name]
    client = _client(world, form)
    client.cookies["csrftoken"] = CSRF_SECRET
    before = _snapshot()

    response = client.post(form.url(world), {**form.data(world), "csrfmiddlewaretoken": "b" * 32})

    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize("name", FORMS)
def test_the_same_post_with_its_token_gets_past_the_check(world, name):
    form = FORMS[name]
    client = _client(world, form)
    client.cookies["csrftoken"] = CSRF_SECRET

    response = client.post(form.url(world), {**form.data(world), "csrfmiddlewaretoken": CSRF_SECRET})

    assert response.status_code != 403, response.content[:500]


def test_a_shopper_with_a_token_really_submits(world):
    """The positive control does what the form says (not only "not 403")."""
    client = _client(world, FORMS["order cancel"])
    client.cookies["csrftoken"] = CSRF_SECRET
    order = world["order"]

    response = client.post(
        reverse("orders:cancel", args=[order.legacy_id]),
        {"reason": "changed_my_mind", "confirm": "on", "csrfmiddlewaretoken": CSRF_SECRET},
    )

    assert response.status_code == 302
    assert Request.objects.filter(order=order).exists()


def test_a_second_shopper_cannot_reuse_another_sessions_token(world):
    """The token is bound to the browser's cookie: a token lifted from one page does not work with
    another browser's cookie."""
    other = make_shopper("grace@example.com")
    client = Client(enforce_csrf_checks=True)
    client.force_login(other)
    client.cookies["csrftoken"] = "c" * 32

    response = client.post(
        reverse("set_language"), {"language": "ko", "next": "/", "csrfmiddlewaretoken": CSRF_SECRET}
    )

    assert response.status_code == 403
