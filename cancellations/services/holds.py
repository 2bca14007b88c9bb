"""Holding an order's fulfilment while its shopper may still change it, and releasing exactly our holds.

A hold goes on each open fulfilment order of a new order when the policy says so and a window is open;
it comes off when the last window closes (the beat), when a request on the order settles, or when a
merchant releases it in the console. Shopify is read before every step: a hold placed twice is refused by
Shopify (our handle is unique per fulfilment order) and found by reading; a release names our hold ids
only, so a merchant's or another app's hold is never touched. Holds are not the shopper's requests: no
money moves and a second call is harmless, so they need no outbox row, only this record.

Every read and every answer goes into the fulfilment-order mirror (`shopify_sync.services.fulfillment_orders`)
too: a fulfilment order that could not be held because it is already in progress is mirrored so, and the
shopper's pages then stop offering changes (`Order.fulfillment_in_progress`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cancellations.models import FulfilmentHold, Policy, Request
from cancellations.policy import NOT_SHIPPED
from cancellations.services.policies import policy_get_or_create
from shopify_sync.client import FulfillmentOrderState, ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyUserError
from shopify_sync.models import Order
from shopify_sync.services.fulfillment_orders import (
    fulfillment_order_data,
    fulfillment_order_record_answer,
    fulfillment_orders_read,
)
from shopify_sync.types import FulfillmentHoldData

logger = logging.getLogger(__name__)

HOLD_HANDLE = "self-service-window"
# Fulfilment orders a hold can go on (Shopify's supportedActions list HOLD for these).
HOLDABLE = frozenset({"OPEN", "SCHEDULED"})


def _ours(fulfillment_order: FulfillmentOrderState) -> str | None:
    """The id of our hold on this fulfilment order, if it has one."""
    return next((h.id for h in fulfillment_order.holds if h.ours and h.handle == HOLD_HANDLE), None)


def _longest_window(now: datetime, policies: list[Policy] | None) -> datetime | None:
    """The earliest processing time an order can have and still be in a window, over the shops that
    hold (`policies`, or every policy); None when none holds."""
    if policies is None:
        policies = list(Policy.objects.filter(hold_fulfilment=True))
    longest = max(
        (
            max(p.cancel_window_minutes, p.address_window_minutes, p.edit_window_minutes)
            for p in policies
            if p.hold_fulfilment
        ),
        default=None,
    )
    return None if longest is None else now - timedelta(minutes=longest)


def _hold_note(until: datetime) -> str:
    return f"Self-service portal: the shopper may change this order until {until:%Y-%m-%d %H:%M} UTC"


def orders_to_hold(
    order_ids: list[int] | None, *, now: datetime, policies: list[Policy] | None = None, limit: int = 500
) -> list[int]:
    """Of these mirrored orders (or of all, for the beat's catch-up), the ones a hold should go on: in a
    shop whose policy holds, recent enough for a window, unshipped, not cancelled, with no hold record yet
    (one query, and one for the policies unless given; each order's own window is checked when its hold is
    placed)."""
    since = _longest_window(now, policies)
    if since is None:
        return []
    has_record = FulfilmentHold.objects.filter(order=OuterRef("pk"))
    orders = Order.objects.filter(pk__in=order_ids) if order_ids is not None else Order.objects.all()
    return list(
        orders.filter(
            processed_at__gt=since,
            shop__cancellation_policy__hold_fulfilment=True,
            cancelled_at__isnull=True,
            deleted_at__isnull=True,
            fulfillment_status__in=list(NOT_SHIPPED),
        )
        .exclude(Exists(has_record))
        .values_list("pk", flat=True)[:limit]
    )


def holds_place(*, order_id: int, client: ShopifyClient | None = None, now: datetime | None = None) -> int:
    """Hold each open fulfilment order of the order until its last window closes. Returns how many holds
    are on after this (ours, placed now or found)."""
    now = now or timezone.now()
    order = Order.objects.select_related("shop").get(pk=order_id)
    policy = policy_get_or_create(shop=order.shop)
    until = policy.last_deadline(order)
    if not policy.hold_fulfilment or until <= now or order.cancelled_at is not None:
        return 0
    if Request.objects.filter(order=order).exclude(state__in=Request.OPEN_STATES).exists():
        return 0  # the shopper has acted already: the order may go (a hold would outlive its reason)
    if FulfilmentHold.objects.filter(order=order).exists():
        # Placed (or released) already: a late duplicate task must not undo a release or a record.
        return FulfilmentHold.objects.filter(order=order, state=FulfilmentHold.State.HELD).count()
    client = client or client_for(order.shop)
    fulfillment_orders = fulfillment_orders_read(order=order, client=client) or []
    held = 0
    refused = False
    for fulfillment_order in fulfillment_orders:
        hold_id = _ours(fulfillment_order)
        error = ""
        if hold_id is None and fulfillment_order.status in HOLDABLE | {"ON_HOLD"}:
            asked_at = timezone.now()
            try:
                hold_id = client.fulfillment_order_hold(
                    fulfillment_order_gid=fulfillment_order.id,
                    handle=HOLD_HANDLE,
                    notes=_hold_note(until),
                )
            except ShopifyUserError as exc:
                error = "; ".join(str(e) for e in exc.errors)
                refused = True
            else:
                _record_held(order, fulfillment_order, hold_id, note=_hold_note(until), asked_at=asked_at)
        elif hold_id is None:
            error = f"fulfilment order is {fulfillment_order.status}"
        state = FulfilmentHold.State.HELD if hold_id else FulfilmentHold.State.FAILED
        FulfilmentHold.objects.update_or_create(
            order=order,
            fulfillment_order_gid=fulfillment_order.id,
            defaults={
                "hold_gid": hold_id or "",
                "handle": HOLD_HANDLE,
                "state": state,
                "held_until": until,
                "placed_at": now,
                "error": error,
            },
        )
        held += bool(hold_id)
        if error:
            logger.info("no fulfilment hold on %s of order %s: %s", fulfillment_order.id, order.name, error)
    if refused:
        # Shopify refused a hold the read said it could take: the fulfilment order moved on in between
        # (went in progress, say). Read again, so the mirror shows why.
        fulfillment_orders_read(order=order, client=client)
    return held


def _record_held(
    order: Order, fulfillment_order: FulfillmentOrderState, hold_id: str, *, note: str, asked_at: datetime
) -> None:
    """The fulfilment order as our hold left it: on hold, with the holds it had and ours."""
    data = fulfillment_order_data(fulfillment_order)
    ours = FulfillmentHoldData(id=hold_id, handle=HOLD_HANDLE, reason="other", reason_notes=note, ours=True)
    held = replace(data, status="on_hold", holds=(*(data.holds or ()), ours))
    fulfillment_order_record_answer(
        order=order, fulfillment_order=held, asked_at=asked_at, source="hold placed"
    )


def holds_release(
    *, order_id: int, because: str, client: ShopifyClient | None = None, now: datetime | None = None
) -> int:
    """Release our holds on the order (only ours, by id). Returns how many were released."""
    now = now or timezone.now()
    holds = list(FulfilmentHold.objects.filter(order_id=order_id, state=FulfilmentHold.State.HELD))
    if not holds:
        return 0
    order = Order.objects.select_related("shop").get(pk=order_id)
    if order.cancelled_at is not None:
        # A cancel ends the order's fulfilment orders (cancelled, or closed where some shipped) and every
        # hold on them goes too: nothing is left to release, so no call is made, only the record.
        FulfilmentHold.objects.filter(
            pk__in=[hold.pk for hold in holds], state=FulfilmentHold.State.HELD
        ).update(state=FulfilmentHold.State.RELEASED, released_at=now, released_because=because[:200])
        return 0
    client = client or client_for(order.shop)
    live = {fo.id: fo for fo in fulfillment_orders_read(order=order, client=client) or []}
    released = 0
    for hold in holds:
        fulfillment_order = live.get(hold.fulfillment_order_gid)
        hold_id = _ours(fulfillment_order) if fulfillment_order is not None else None
        if fulfillment_order is not None and hold_id is not None:
            asked_at = timezone.now()
            status = client.fulfillment_order_release_hold(
                fulfillment_order_gid=hold.fulfillment_order_gid, hold_ids=[hold_id]
            )
            _record_released(order, fulfillment_order, hold_id, status=status, asked_at=asked_at)
            released += 1
        # Gone already (a merchant released it, the order was cancelled): nothing to do but record it.
        FulfilmentHold.objects.filter(pk=hold.pk, state=FulfilmentHold.State.HELD).update(
            state=FulfilmentHold.State.RELEASED, released_at=now, released_because=because[:200]
        )
    return released


def _record_released(
    order: Order, fulfillment_order: FulfillmentOrderState, hold_id: str, *, status: str, asked_at: datetime
) -> None:
    """The fulfilment order as our release left it: the other holds stay, the status is Shopify's answer."""
    data = fulfillment_order_data(fulfillment_order)
    others = tuple(h for h in data.holds or () if h.id != hold_id)
    left = replace(data, status=(status or fulfillment_order.status).lower(), holds=others)
    fulfillment_order_record_answer(
        order=order, fulfillment_order=left, asked_at=asked_at, source="hold released"
    )


SETTLED_GRACE = timedelta(seconds=15)


def holds_due(now: datetime | None = None) -> list[int]:
    """Orders whose holds should come off and that have no open request (a request waiting for a merchant
    keeps its order held until it settles): the window is over, a request on the order settled, or the
    order was cancelled. The last two are released when they happen; here they are caught up when that
    task was lost (a broker outage)."""
    now = now or timezone.now()
    open_request = Request.objects.filter(order=OuterRef("order_id"), state__in=Request.OPEN_STATES)
    # A release the settling queued gets a moment to run before the sweep sends another.
    settled = Request.objects.filter(order=OuterRef("order_id"), updated_at__lte=now - SETTLED_GRACE).exclude(
        state__in=Request.OPEN_STATES
    )
    return sorted(
        set(
            FulfilmentHold.objects.filter(state=FulfilmentHold.State.HELD)
            .filter(Q(held_until__lte=now) | Q(order__cancelled_at__isnull=False) | Exists(settled))
            .exclude(Exists(open_request))
            .values_list("order_id", flat=True)
        )
    )


def holds_after_request(*, request_id: int) -> None:
    """A request settled: the shopper has acted, so the order may go out (unless another is open)."""
    request = Request.objects.get(pk=request_id)
    if Request.objects.filter(order_id=request.order_id, state__in=Request.OPEN_STATES).exists():
        return
    holds_release(order_id=request.order_id, because=f"request #{request.pk} {request.state}")
