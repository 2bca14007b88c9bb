"""The shopper's item edit: choose (the lines as Shopify has them now), check (Shopify's price of the new
order), confirm (a request the outbox commits). Three steps without JavaScript.

What the shopper agreed to is kept in their session between "check" and "confirm", never in the form: a
shopper cannot post figures of their own, and the commit re-checks the order against exactly what they saw.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.errors import RequestNotAllowed
from cancellations.item_edits import change_as_dict
from cancellations.services.item_edits import edit_options, item_edit_price, item_edit_submit
from portal.forms import ItemEditForm
from portal.presenters import PolicyCache, order_card
from portal.shoppers import order_owner
from portal.views import FORM_METHODS, order_view, rate_limited, too_many
from shopify_sync.models import Order


def _session_key(order: Order) -> str:
    return f"item_edit:{order.pk}"


@order_view(FORM_METHODS)
def order_items(request: HttpRequest, order: Order) -> HttpResponse:
    if request.method == "POST" and rate_limited(request):
        return too_many(request, order)
    now = timezone.now()
    card = order_card(order, policies=PolicyCache(), now=now)
    context: dict[str, Any] = {"card": card, "order": order, "now": now}
    if not card.items.allowed:
        status = 409 if request.method == "POST" else 200
        return render(request, "portal/order_items.html", context, status=status)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, order, context)
    try:
        options = edit_options(order=order, shopper=order_owner(request), now=now)
    except RequestNotAllowed as refused:
        context["unavailable"] = refused.message
        return render(
            request,
            "portal/order_items.html",
            context,
            status=503 if refused.code == "shopify_unavailable" else 409,
        )
    form = ItemEditForm(request.POST or None, choices=options.choices)
    context.update(form=form, options=options)
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        try:
            priced = item_edit_price(
                order=order, shopper=order_owner(request), changes=form.changes(), now=now
            )
        except RequestNotAllowed as refused:
            if refused.code == "remove_all":
                messages.info(request, refused.message)
                return redirect("orders:cancel", legacy_id=order.legacy_id)
            form.add_error(None, refused.message)
        else:
            request.session[_session_key(order)] = {
                "changes": [change_as_dict(change) for change in priced.changes],
                "snapshot": priced.snapshot,
            }
            context.update(priced=priced, snapshot=priced.snapshot, policy=options.policy)
            return render(request, "portal/order_items_review.html", context)
    return render(request, "portal/order_items.html", context, status=400 if form.errors else 200)


def _confirm(request: HttpRequest, order: Order, context: dict[str, Any]) -> HttpResponse:
    agreed = request.session.get(_session_key(order))
    if not agreed:
        messages.error(request, _("Your check of the new order expired. Choose the changes again."))
        return redirect("orders:items", legacy_id=order.legacy_id)
    try:
        item_edit_submit(
            order=order,
            shopper=order_owner(request),
            line_changes=agreed["changes"],
            snapshot=agreed["snapshot"],
            language=get_language(),
        )
    except RequestNotAllowed as refused:
        messages.error(request, refused.message)
        return redirect("orders:detail", legacy_id=order.legacy_id)
    del request.session[_session_key(order)]
    messages.success(
        request, _("We received your changes to the items of order %(name)s.") % {"name": order.name}
    )
    return redirect("orders:detail", legacy_id=order.legacy_id)
