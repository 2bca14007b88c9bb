"""The shopper's return request after shipping: the shipped lines as Shopify has them now, how many of
each to send back, why. The store approves it (or the policy does) and Shopify opens the return."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.errors import RequestNotAllowed
from cancellations.services.returns import return_options, return_submit
from portal.forms import ReturnForm
from portal.presenters import PolicyCache, order_card
from portal.shoppers import order_owner
from portal.views import FORM_METHODS, order_view, rate_limited, too_many
from shopify_sync.models import Order


@order_view(FORM_METHODS)
def order_return(request: HttpRequest, order: Order) -> HttpResponse:
    if request.method == "POST" and rate_limited(request):
        return too_many(request, order)
    now = timezone.now()
    card = order_card(order, policies=PolicyCache(), now=now)
    context = {"card": card, "order": order}
    if not card.returns.allowed:
        return render(
            request, "portal/order_return.html", context, status=409 if request.method == "POST" else 200
        )
    try:
        lines = return_options(order=order, shopper=order_owner(request), now=now)
    except RequestNotAllowed as refused:
        context["unavailable"] = refused.message
        status = 503 if refused.code == "shopify_unavailable" else 409
        return render(request, "portal/order_return.html", context, status=status)
    form = ReturnForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            return_submit(
                order=order,
                shopper=order_owner(request),
                quantities=form.quantities(),
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"].strip(),
                language=get_language(),
                now=now,
            )
        except RequestNotAllowed as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("We received your return request for order %(name)s.") % {"name": order.name}
            )
            return redirect("orders:detail", legacy_id=order.legacy_id)
    context.update(form=form, lines=lines)
    return render(request, "portal/order_return.html", context, status=400 if form.errors else 200)
