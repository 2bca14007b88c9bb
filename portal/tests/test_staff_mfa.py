"""The merchant console behind a second factor (STAFF_REQUIRE_MFA): no admin page without TOTP set up and
passed at sign-in; allauth's sign-in asks for the code; and the password form is throttled."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-1"


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user(
        username="owner", email="owner@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )
    EmailAddress.objects.create(user=user, email="owner@example.com", verified=True, primary=True)
    return user


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_REQUIRE_MFA = True


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_without_totp_are_sent_to_set_it_up(client, staff, mfa_on):
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_a_session_that_skipped_the_code_is_signed_out(client, staff, mfa_on):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)  # a password-only session
    response = client.get("/admin/cancellations/request/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_signing_in_by_email_code_then_the_authenticator_opens_the_console(client, staff, mfa_on, mailoutbox):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    response = client.post(reverse("account_request_login_code"), {"email": "owner@example.com"})
    assert response.status_code == 302
    emailed = re.search(
        r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", str(mailoutbox[-1].body), re.MULTILINE
    )
    assert emailed
    response = client.post(reverse("account_confirm_login_code"), {"code": emailed.group(1)})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200  # wrong: again
    client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert client.get("/admin/").status_code == 200


def test_without_the_requirement_the_console_opens_as_before(client, staff, settings):
    settings.STAFF_REQUIRE_MFA = False
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_the_admins_password_form_is_throttled(client, staff, settings):
    settings.STAFF_REQUIRE_MFA = False
    settings.STAFF_LOGIN_RATE = "3/15m"
    url = reverse("admin:login")
    responses = [client.post(url, {"username": "owner", "password": "wrong"}) for _ in range(4)]
    statuses = [r.status_code for r in responses]
    assert statuses[0] == 200, responses[0].get("Location")
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    # The right password does not get through the limit either.
    assert client.post(url, {"username": "owner", "password": PASSWORD}).status_code == 429
