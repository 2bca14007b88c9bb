"""The merchant console's door: staff sign-in throttled, and with `STAFF_REQUIRE_MFA` (on in production) a
second factor through allauth's MFA (TOTP, with recovery codes) before any admin page.

With MFA required the admin's own password form is replaced by allauth's sign-in (`secure_admin_login`),
which asks for the authenticator code after the password; `StaffMfaMiddleware` then lets staff into
`/admin/` only with a TOTP authenticator set up (else to its set-up page) and a sign-in that passed it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django_ratelimit.core import is_ratelimited

from portal.client_ip import client_ip


def admin_login_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django admin's password form: a few tries per client and per username, then 429."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            username = (request.POST.get("username") or "").strip().lower()
            for group, key in (("client", client_ip(request)), ("username", username)):
                if is_ratelimited(
                    request,
                    group=f"portal:admin-login:{group}",
                    key=lambda _group, _request, key=key: key,
                    rate=settings.STAFF_LOGIN_RATE,
                    method="POST",
                    increment=True,
                ):
                    return render(request, "portal/rate_limited.html", {}, status=429)
        return view(request, *args, **kwargs)

    return wrapped


def staff_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's sign-in: allauth's (which asks for the second factor) when `STAFF_REQUIRE_MFA`, else the
    admin's own password form, throttled. Decided per request, so the setting is read where it is used."""
    from allauth.account.decorators import secure_admin_login

    secured, throttled = secure_admin_login(view), admin_login_throttled(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        chosen = secured if settings.STAFF_REQUIRE_MFA else throttled
        return chosen(request, *args, **kwargs)

    return wrapped


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _passed_mfa(request: HttpRequest) -> bool:
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class StaffMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.STAFF_REQUIRE_MFA and request.path.startswith("/admin/"):
            user = request.user
            if user.is_authenticated and user.is_staff:
                if not _has_totp(user):
                    query = urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")
                if not _passed_mfa(request):
                    # Signed in without the second factor (before it was set up, or elsewhere): again.
                    logout(request)
                    query = urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
        return self.get_response(request)
