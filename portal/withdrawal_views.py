"""The EU withdrawal function on an order: step one (name, email, the order), step two a separate
"Confirm withdrawal" button. No retention offers here: the law wants the way out plain."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.errors import RequestNotAllowed
from cancellations.selectors import OrderPass, owning_email
from cancellations.services.withdrawals import withdrawal_check, withdrawal_submit
from portal.forms import WithdrawalForm
from portal.shoppers import order_owner
from portal.templatetags.portal import shop_datetime
from portal.views import FORM_METHODS, order_view, rate_limited, too_many
from shopify_sync.models import Order


def _initial_name(order: Order) -> str:
    address = order.shipping_address or {}
    customer = order.customer
    first = address.get("first_name") or (customer.first_name if customer else "")
    last = address.get("last_name") or (customer.last_name if customer else "")
    if not (first and last):
        return first or last
    if _hangul(first + last):
        return f"{last}{first}"  # 김지우: family name first, no space
    return f"{last} {first}" if get_language() == "ko" else f"{first} {last}"


def _hangul(text: str) -> bool:
    return all("\uac00" <= ch <= "\ud7a3" for ch in text if not ch.isspace())


@order_view(FORM_METHODS)
def order_withdraw(request: HttpRequest, order: Order) -> HttpResponse:
    if request.method == "POST" and rate_limited(request):
        return too_many(request, order)
    shopper = order_owner(request)
    context: dict = {"order": order}
    try:
        checked = withdrawal_check(order=order, shopper=shopper)
    except RequestNotAllowed as refused:
        context["refusal"] = refused.message
        return render(request, "portal/order_withdraw.html", context, status=503)
    if not checked.verdict:
        context["refusal"] = checked.verdict.message
        return render(
            request, "portal/order_withdraw.html", context, status=409 if request.method == "POST" else 200
        )
    context["becomes_return"] = checked.shipped
    initial = {"name": _initial_name(order), "email": owning_email(shopper, order)}
    form = WithdrawalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            context.update(form=form, confirming=True)
            return render(request, "portal/order_withdraw.html", context)
        try:
            withdrawal = withdrawal_submit(
                order=order,
                shopper=shopper,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                language=get_language(),
                via="guest" if isinstance(shopper, OrderPass) else "account",
            )
        except RequestNotAllowed as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _(
                    "We received your withdrawal from order %(name)s on %(at)s. "
                    "The acknowledgement is on its way to %(email)s."
                )
                % {
                    "name": order.name,
                    "at": shop_datetime(withdrawal.received_at, order.shop),
                    "email": withdrawal.email,
                },
            )
            return redirect("orders:detail", legacy_id=order.legacy_id)
    context["form"] = form
    return render(request, "portal/order_withdraw.html", context, status=400 if form.errors else 200)
