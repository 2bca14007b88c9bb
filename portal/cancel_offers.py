"""The step between "cancel" and the cancel itself: offers to keep the order (`cancellations.offers`).

Shown once per submit, after the shopper chose a reason (the size swap and the address fix answer the
reason); "cancel anyway" posts the same form again with the offers declined, so the cancel is one click
away. Taking an offer leads to the page that does it (items, address) or, for the bonus, keeps the order.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations import offers
from cancellations.errors import RequestNotAllowed
from cancellations.models import Policy, RetentionOffer
from cancellations.services.offers import offer_take, offers_decline, offers_show
from portal.forms import CancelForm
from portal.presenters import OrderCard
from portal.shoppers import order_owner
from shopify_sync.models import Order

TAKE_REDIRECTS: dict[str, str] = {
    RetentionOffer.Kind.SIZE_SWAP: "orders:items",
    RetentionOffer.Kind.ADDRESS_FIX: "orders:address",
}


def posted_offer_ids(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.POST.getlist("offer") if value.isdigit()]


def offer_step(
    request: HttpRequest, *, order: Order, card: OrderCard, policy: Policy, form: CancelForm, context: dict
) -> HttpResponse | None:
    """The offers page for a valid cancel form, or None when there is none to show (or they were
    declined: recorded here, and the cancel goes ahead)."""
    if "decline" in request.POST:
        offers_decline(order=order, offer_ids=posted_offer_ids(request))
        return None
    reason = form.cleaned_data["reason"]
    kinds = offers.offers_for(
        policy,
        order,
        reason_code=reason,
        can_edit_items=card.items.allowed,
        can_change_address=card.address.allowed,
    )
    if not kinds:
        return None
    shown = offers_show(
        order=order, shopper=order_owner(request), kinds=kinds, reason_code=reason, language=get_language()
    )
    context.update(form=form, offers=shown)
    return render(request, "portal/order_cancel_offer.html", context)


def offer_taken(request: HttpRequest, order: Order) -> HttpResponse:
    try:
        offer = offer_take(
            order=order, offer_ids=posted_offer_ids(request), kind=request.POST.get("take", "")
        )
    except RequestNotAllowed as refused:
        messages.error(request, refused.message)
        return redirect("orders:cancel", legacy_id=order.legacy_id)
    if offer.kind in TAKE_REDIRECTS:
        return redirect(TAKE_REDIRECTS[offer.kind], legacy_id=order.legacy_id)
    messages.success(
        request,
        _("Thank you for keeping order %(name)s. Your store credit is sent once it ships.")
        % {"name": order.name},
    )
    return redirect("orders:detail", legacy_id=order.legacy_id)
