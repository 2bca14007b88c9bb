"""A shopper's return: what may be sent back (the fulfilled lines, read live, less what earlier returns
hold), the submit, and following the store's decision when it is made in Shopify's own admin.

At submit the push asks Shopify for the return (REQUESTED there) while the request waits here, undecided;
a merchant then decides here (the push approves or declines the return in Shopify) or in Shopify, which
`return_follow_shopify` reads: after a `returns/*` webhook (`receivers`), when the order changes in the
mirror (`reactions`), and every few minutes from the sweeper in case both were lost
(`returns_due_for_check`). See `mutations.return_request`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cancellations import conf
from cancellations.errors import RequestNotAllowed
from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.return_request import return_marker
from cancellations.policy import RETURN_REASONS, return_verdict
from cancellations.selectors import owning_email
from cancellations.services.live import shopify_live
from cancellations.services.policies import policy_get_or_create
from cancellations.services.requests import request_decided_in_shopify, request_submit
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.models import Order, Shop
from shopify_sync.returns import ReturnableLine

# What the shopper reads when the store declined their return in Shopify without a note, by Shopify's
# ReturnDeclineReason.
DECLINED_IN_SHOPIFY = {
    "RETURN_PERIOD_ENDED": _("The period for returning this order has ended."),
    "FINAL_SALE": _("Items sold as final sale cannot be returned."),
}
DECLINED_WITHOUT_NOTE = _("The store declined the return.")
CANCELLED_IN_SHOPIFY = _("The store cancelled this return.")
# Shopify's statuses of a return once the store decided it.
APPROVED_STATUSES = frozenset({"OPEN", "CLOSED"})
REFUSED_STATUSES = frozenset({"DECLINED", "CANCELED"})


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


def return_follow_shopify(
    *, request_id: int, client: ShopifyClient | None = None, now: datetime | None = None
) -> str:
    """Follow the store's decision on a return still undecided here, as Shopify shows it now: approved
    there (open, or closed already) approves the request, whose push then finds the return open and
    completes it without calling; declined there rejects it, with Shopify's note as the message the shopper
    reads (and is e-mailed); cancelled there rejects it too. Still requested, or not in Shopify (yet):
    nothing changes. Safe to run any number of times; returns the request's state."""
    request = Request.objects.select_related("order__shop").get(pk=request_id)
    if request.kind != Request.Kind.RETURN or request.state != Request.State.SUBMITTED:
        return request.state
    client = client or client_for(request.order.shop)
    truth = client.order_returnables(request.order.shopify_gid)
    mine = truth.marked(return_marker(request.pk)) if truth is not None else None
    if mine is None or mine.status not in APPROVED_STATUSES | REFUSED_STATUSES:
        return request.state
    approved = mine.status in APPROVED_STATUSES
    detail = {"shopify_return": mine.id, "status": mine.status.lower()}
    with translation.override(request.language):
        if approved:
            message = ""
        elif mine.status == "DECLINED":
            detail["decline_reason"] = mine.decline_reason
            message = mine.decline_note or str(
                DECLINED_IN_SHOPIFY.get(mine.decline_reason, DECLINED_WITHOUT_NOTE)
            )
        else:
            message = str(CANCELLED_IN_SHOPIFY)
    try:
        request = request_decided_in_shopify(
            request=request, approved=approved, message=message, detail=detail, now=now or timezone.now()
        )
    except RequestNotAllowed:
        pass  # decided meanwhile (here, or by another look at Shopify)
    else:
        return request.state
    return Request.objects.values_list("state", flat=True).get(pk=request_id)


def returns_to_follow(*, shop: Shop, return_gid: str, order_gid: str | None) -> list[int]:
    """The undecided returns a return changed in Shopify may be: ours by the id Shopify gave it, or any
    undecided return of its order (Shopify may tell before the push recorded the id)."""
    ours = Q(mutations__operation=ShopifyMutation.Operation.RETURN_REQUEST, mutations__result_id=return_gid)
    if order_gid:
        ours |= Q(order__shopify_gid=order_gid)
    undecided = Request.objects.filter(
        order__shop=shop, kind=Request.Kind.RETURN, state=Request.State.SUBMITTED
    )
    return sorted(set(undecided.filter(ours).values_list("pk", flat=True)))


def returns_due_for_check(*, now: datetime, limit: int = 100) -> list[int]:
    """Undecided returns to read from Shopify again, in case the webhook saying the store decided one there
    was lost: opened in Shopify (their request confirmed), submitted at least `conf.return_check_seconds()`
    ago, and not looked at for as long (`due_at`, which the caller moves on for each one it queues). So an
    undecided return costs one read every few minutes, however often the sweeper runs."""
    interval = timedelta(seconds=conf.return_check_seconds())
    opened = ShopifyMutation.objects.filter(
        request=OuterRef("pk"),
        operation=ShopifyMutation.Operation.RETURN_REQUEST,
        state=ShopifyMutation.State.CONFIRMED,
    )
    return list(
        Request.objects.filter(
            kind=Request.Kind.RETURN, state=Request.State.SUBMITTED, created_at__lte=now - interval
        )
        .filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .filter(Exists(opened))
        .order_by(F("due_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )
