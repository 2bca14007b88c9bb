"""A shopper's return, before it is a request: what may be sent back (the fulfilled lines, read live, less
what earlier returns hold) and the submit. The push asks Shopify for the return once a merchant (or the
policy) approves (`mutations.return_request`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.policy import RETURN_REASONS, return_verdict
from cancellations.selectors import owning_email
from cancellations.services.live import shopify_live
from cancellations.services.policies import policy_get_or_create
from cancellations.services.requests import request_submit
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.models import Order
from shopify_sync.returns import ReturnableLine


def return_options(
    *, order: Order, shopper, client: ShopifyClient | None = None, now: datetime | None = None
) -> list[ReturnableLine]:
    """The shipped lines the shopper may still send back, from Shopify now."""
    if not owning_email(shopper, order) or order.deleted_at is not None:
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    policy = policy_get_or_create(shop=order.shop)
    has_open = Request.objects.filter(
        order=order, kind=Request.Kind.RETURN, state__in=Request.OPEN_STATES
    ).exists()
    verdict = return_verdict(policy=policy, order=order, now=now or timezone.now(), has_open_request=has_open)
    if not verdict:
        raise RequestNotAllowed(verdict.message, code=verdict.code)
    client = client or client_for(order.shop)
    returnables = shopify_live(lambda: client.order_returnables(order.shopify_gid))
    if returnables is None:
        raise RequestNotAllowed(_("This order no longer exists in the store."), code="order_gone")
    return [line for line in returnables.lines if line.returnable > 0]


def return_submit(
    *,
    order: Order,
    shopper,
    quantities: dict[str, int],
    reason: str,
    note: str,
    language: str,
    client: ShopifyClient | None = None,
    now: datetime | None = None,
) -> Request:
    """Ask to return `quantities` (by fulfillment line item) for `reason` (a `RETURN_REASONS` code)."""
    lines = {
        line.fulfillment_line_item_gid: line
        for line in return_options(order=order, shopper=shopper, client=client, now=now)
    }
    chosen = []
    for gid, quantity in quantities.items():
        if quantity <= 0:
            continue
        line = lines.get(gid)
        if line is None or quantity > line.returnable:
            raise RequestNotAllowed(_("That many of this item cannot be returned."), code="bad_quantity")
        chosen.append(
            {
                "fulfillment_line_item_gid": gid,
                "line_item_gid": line.line_item_gid,
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": quantity,
            }
        )
    if not chosen:
        raise RequestNotAllowed(_("Choose at least one item to return."), code="no_change")
    if reason not in RETURN_REASONS:
        raise RequestNotAllowed(_("Choose a reason for the return."), code="reason_missing")
    return request_submit(
        order=order,
        shopper=shopper,
        kind=Request.Kind.RETURN,
        reason_code=reason,
        reason_text=note,
        return_lines=chosen,
        language=language,
        now=now,
    )
