"""What a shopper does with a request already made: take it back while no one has decided it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.services import request_withdraw
from portal.shoppers import order_owner
from portal.views import order_view
from shopify_sync.models import Order


@order_view(("POST",))
def request_take_back(request: HttpRequest, order: Order, request_id: int) -> HttpResponse:
    asked = Request.objects.filter(pk=request_id, order=order).select_related("order").first()
    if asked is None:
        raise Http404("No such request.")
    try:
        request_withdraw(request=asked, shopper=order_owner(request))
    except RequestNotAllowed as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Your request is taken back. Nothing changes on the order."))
    return redirect("orders:detail", legacy_id=order.legacy_id)
