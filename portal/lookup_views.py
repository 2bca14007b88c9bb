"""The guest's ways in: `/lookup/` (order number + e-mail, then a code e-mailed to the order's address) and
`/o/<token>/` (a link Shopify's own e-mails carry, signed there). Both end in a pass for one order.

The lookup answers the same whether or not the details match, so it tells nobody which orders exist or
whose they are; only the order's own address receives a code."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from portal.cache import failures_during
from portal.client_ip import client_ip
from portal.forms import AccessCodeForm, LookupForm
from portal.middleware import current_shop
from portal.order_access import (
    CODE_TRIES,
    access_code_check,
    access_code_issue,
    access_code_send,
    link_open,
    order_for_lookup,
)
from portal.shoppers import guest_pass_grant
from shopify_sync.models import Order

LOOKUP = "portal_lookup"


def _limited(request: HttpRequest, group: str, rate: str, key: str) -> bool:
    return is_ratelimited(
        request, group=group, key=lambda _group, _request: key, rate=rate, method="POST", increment=True
    )


def _hashed(value: str) -> str:
    # Rate-limit keys name no address in the cache.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _client(request: HttpRequest) -> str:
    return client_ip(request)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/rate_limited.html", {}, status=429)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None, initial={"order_number": request.GET.get("order", "")[:64]})
    if request.method == "POST" and form.is_valid():
        number, email = form.cleaned_data["order_number"], form.cleaned_data["email"]
        # Per client, per address asked about and per order number asked about: guessing is slow from
        # one place and slow against one shopper from many. Without the counters (Redis down) no code is
        # mailed: the limits are what keeps a shopper from being mail-bombed (fail closed).
        with failures_during() as cache_failed:
            limited = (
                _limited(request, "portal:lookup:client", settings.PORTAL_LOOKUP_RATE, _client(request))
                or _limited(request, "portal:lookup:email", settings.PORTAL_LOOKUP_RATE, _hashed(email))
                or _limited(request, "portal:lookup:order", settings.PORTAL_LOOKUP_RATE, _hashed(number))
            )
        if cache_failed():
            return render(request, "portal/lookup.html", {"form": form, "unavailable": True}, status=503)
        if limited:
            return _too_many(request)
        shop = current_shop(request)
        order = order_for_lookup(shop=shop, order_number=number, email=email)
        code_id = None
        # A code goes only to the order's own address, and only a few an hour whatever the client.
        if order is not None and not _limited(
            request, "portal:lookup:mail", settings.PORTAL_LOOKUP_MAIL_RATE, _hashed(email)
        ):
            row, code = access_code_issue(order=order)
            access_code_send(row=row, code=code, language=get_language())
            code_id = row.pk
        request.session[LOOKUP] = {"shop": shop.pk, "code": code_id, "tries": 0, "email": email}
        return redirect("lookup_code")
    return render(request, "portal/lookup.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(LOOKUP)
    if not isinstance(pending, dict) or pending.get("shop") != current_shop(request).pk:
        return redirect("lookup")
    form = AccessCodeForm(request.POST or None)
    context = {"form": form, "email": pending.get("email", ""), "spent": False}
    if request.method == "POST" and form.is_valid():
        if _limited(request, "portal:lookup:code", settings.PORTAL_LOOKUP_CODE_RATE, _client(request)):
            return _too_many(request)
        checked = access_code_check(code_id=pending.get("code"), code=form.cleaned_data["code"])
        if pending.get("code") is None:
            # No order matched: count the tries here so the page behaves as for a real code.
            pending["tries"] = int(pending.get("tries", 0)) + 1
            request.session[LOOKUP] = pending
            problem = "too_many" if pending["tries"] >= CODE_TRIES else "wrong"
        else:
            problem = checked.problem
        if checked.order_pass is not None:
            del request.session[LOOKUP]
            guest_pass_grant(request, checked.order_pass)
            order = Order.objects.get(pk=checked.order_pass.order_id)
            return redirect("orders:detail", legacy_id=order.legacy_id)
        if problem in ("too_many", "expired"):
            context["spent"] = True
            form.add_error(None, CODE_PROBLEMS[problem])
        else:
            form.add_error("code", CODE_PROBLEMS["wrong"])
    return render(request, "portal/lookup_code.html", context, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "HEAD"])
def signed_link(request: HttpRequest, token: str) -> HttpResponse:
    """A link from Shopify's e-mail or order status page: the order it names, else a page offering lookup."""
    order_pass = link_open(shop=current_shop(request), token=token)
    if order_pass is None:
        return render(request, "portal/link_refused.html", {"lookup_url": reverse("lookup")}, status=404)
    guest_pass_grant(request, order_pass)
    order = Order.objects.get(pk=order_pass.order_id)
    return redirect("orders:detail", legacy_id=order.legacy_id)


# The code page's messages, in one place (lazy: in the shopper's language when shown).
CODE_PROBLEMS = {
    "wrong": _("That code is not right. Check the email and try again."),
    "too_many": _("Too many wrong codes. Ask for a new code."),
    "expired": _("That code has expired or was used. Ask for a new code."),
}
