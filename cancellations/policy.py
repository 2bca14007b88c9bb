"""Whether a shopper may ask for a change on an order: pure functions of a policy, an order and a time.

Each answer is a `Verdict` with a stable `code` (for code and tests) and a `message` a shopper reads
(translated lazily: the shopper pages render it in the shopper's language). The shopper pages call these
to decide what to offer; `request_submit` calls them again under a lock before anything is written.

The order may be a mirror row (`shopify_sync.models.Order`) for everything, or, for `push_blocker`, the
fresh `OrderData` just read from Shopify: both carry `cancelled_at` and `fulfillment_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from cancellations.item_edits import line_exclusion
from cancellations.models import Policy, Request
from shopify_sync.models import Order

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

# Fulfilment states in which nothing has left the warehouse. Anything else is shipped or on its way.
NOT_SHIPPED = frozenset(
    {
        Order.FulfillmentStatus.UNFULFILLED,
        Order.FulfillmentStatus.ON_HOLD,
        Order.FulfillmentStatus.SCHEDULED,
        Order.FulfillmentStatus.OPEN,
        Order.FulfillmentStatus.PENDING_FULFILLMENT,
        "",
    }
)
SHIPPED = frozenset(
    {
        Order.FulfillmentStatus.FULFILLED,
        Order.FulfillmentStatus.PARTIALLY_FULFILLED,
        Order.FulfillmentStatus.IN_PROGRESS,
    }
)

MESSAGES: dict[str, StrPromise] = {
    "ok": _("You can ask for this change."),
    "cancelled": _("This order was cancelled already."),
    "shipped": _("This order has already shipped — contact the store for a return."),
    "in_progress": _("The store has started preparing this order for shipping — contact the store."),
    "window_closed": _("The window for this change has closed — contact the store."),
    "open_request": _("A request for this order is already open."),
    "closed": _("This order is closed — contact the store."),
    "deleted": _("This order no longer exists in the store."),
    "payment_state": _("This order's payment state does not allow changes here — contact the store."),
    "not_eligible": _("This order cannot be changed here — contact the store."),
    "country_change": _("The new address must be in the same country — contact the store to ship abroad."),
    # An order that holds an item the merchant excludes is not cancelled by the shopper: a cancel is the
    # whole order or nothing.
    "excluded": _("This order holds an item the store does not let you cancel here — contact the store."),
    "returns_off": _("This store does not take return requests here — contact the store."),
    "not_shipped": _("Nothing of this order has shipped yet: you can cancel or change it instead."),
    "withdrawal_off": _("This store has no withdrawal button — contact the store to withdraw."),
    "withdrawal_over": _("The withdrawal period for this order has ended."),
    # push-time reasons (the order changed in the store after the shopper asked)
    "cancelled_in_store": _("The store cancelled this order itself."),
    "order_gone": _("This order no longer exists in the store."),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    code: str
    message: StrOrPromise
    deadline: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.code == "ok"

    def __bool__(self) -> bool:
        return self.allowed


def _verdict(code: str, deadline: datetime | None = None) -> Verdict:
    return Verdict(code=code, message=MESSAGES[code], deadline=deadline)


def shipped(order: Any) -> bool:
    return order.fulfillment_status in SHIPPED


def order_verdict(
    *,
    policy: Policy,
    order: Order,
    kind: str,
    now: datetime,
    has_open_request: bool = False,
    fulfillment_in_progress: bool = False,
) -> Verdict:
    """May a shopper ask for `kind` on `order` at `now`? The first reason that says no wins; the order of
    the checks puts the reasons a shopper can act on (shipped, window) before the store's internal ones.

    `fulfillment_in_progress`: the fulfilment-order mirror shows the order being prepared (a fulfilment
    service accepted it, the warehouse reported progress, or a hold failed because of it), which the
    order's own fulfilment status may not say yet (`Order.fulfillment_in_progress`)."""
    deadline = policy.deadline_for(order, kind)
    if order.deleted_at is not None:
        return _verdict("deleted", deadline)
    if order.cancelled_at is not None:
        return _verdict("cancelled", deadline)
    if shipped(order):
        return _verdict("shipped", deadline)
    if fulfillment_in_progress:
        return _verdict("in_progress", deadline)
    if has_open_request:
        return _verdict("open_request", deadline)
    if now > deadline:
        return _verdict("window_closed", deadline)
    if order.closed:
        return _verdict("closed", deadline)
    if order.fulfillment_status not in NOT_SHIPPED:
        return _verdict("not_eligible", deadline)
    if order.financial_status not in set(policy.allowed_financial_statuses or ()):
        return _verdict("payment_state", deadline)
    if policy.blocking_tag_set & {str(t).strip().lower() for t in order.tags or ()}:
        return _verdict("not_eligible", deadline)
    if policy.max_order_total is not None and order.total_price > policy.max_order_total:
        return _verdict("not_eligible", deadline)
    if policy.block_high_risk and order.risk_level == Order.RiskLevel.HIGH:
        return _verdict("not_eligible", deadline)
    if kind == Request.Kind.CANCEL and holds_excluded_item(policy, order):
        return _verdict("excluded", deadline)
    return _verdict("ok", deadline)


# What a withdrawal overrides: it is the consumer's legal right, not a service the store sets windows and
# conditions for. What it cannot override are facts (deleted, cancelled, shipped for a cancel, an open
# request that covers it).
WITHDRAWAL_OVERRIDES = frozenset(
    {"window_closed", "returns_off", "closed", "payment_state", "not_eligible", "excluded"}
)


def withdrawal_verdict(
    *,
    policy: Policy,
    order: Order,
    now: datetime,
    last_delivered_at: datetime | None = None,
    has_open_request: bool = False,
) -> Verdict:
    """May the consumer withdraw from the contract of `order` at `now`? Before delivery always (the
    period has not begun); after it, for `policy.withdrawal_days` from the last delivery Shopify knows
    (`last_delivered_at`, read live: the mirror keeps no delivery dates; None while not delivered)."""
    deadline = last_delivered_at + timedelta(days=policy.withdrawal_days) if last_delivered_at else None
    if not policy.withdrawal_enabled:
        return _verdict("withdrawal_off", deadline)
    if order.deleted_at is not None:
        return _verdict("deleted", deadline)
    if order.cancelled_at is not None:
        return _verdict("cancelled", deadline)
    if has_open_request:
        return _verdict("open_request", deadline)
    if deadline is not None and now > deadline:
        return _verdict("withdrawal_over", deadline)
    return _verdict("ok", deadline)


def holds_excluded_item(policy: Policy, order: Order) -> bool:
    """An excluded line by what the mirror knows (SKU, gift card, no shipping); uses
    `order.line_items.all()`, so pages prefetch it. Product tags and types need Shopify's products:
    `services.item_edits.order_exclusions` reads those at submit."""
    return any(
        line.current_quantity > 0
        and line_exclusion(
            policy, sku=line.sku, requires_shipping=line.requires_shipping, gift_card=line.gift_card
        )
        for line in order.line_items.all()
    )


# Why a shopper sends something back: Shopify's `ReturnReason` values (every store shares them), labelled.
RETURN_REASONS: dict[str, StrPromise] = {
    "SIZE_TOO_SMALL": _("Too small"),
    "SIZE_TOO_LARGE": _("Too large"),
    "UNWANTED": _("I don't want it any more"),
    "NOT_AS_DESCRIBED": _("Not as described"),
    "WRONG_ITEM": _("I received the wrong item"),
    "DEFECTIVE": _("Damaged or defective"),
    "STYLE": _("The style is not what I expected"),
    "COLOR": _("The colour is not what I expected"),
    "OTHER": _("Another reason"),
}


def return_verdict(*, policy: Policy, order: Order, now: datetime, has_open_request: bool = False) -> Verdict:
    """May a shopper ask to return items of `order` at `now`? Only after something shipped, within the
    return window, when the store takes return requests."""
    deadline = policy.deadline_for(order, Request.Kind.RETURN)
    if order.deleted_at is not None:
        return _verdict("deleted", deadline)
    if order.cancelled_at is not None:
        return _verdict("cancelled", deadline)
    if not policy.allow_returns:
        return _verdict("returns_off", deadline)
    if not shipped(order):
        return _verdict("not_shipped", deadline)
    if has_open_request:
        return _verdict("open_request", deadline)
    if now > deadline:
        return _verdict("window_closed", deadline)
    return _verdict("ok", deadline)


def address_verdict(*, policy: Policy, order: Order, address: dict[str, str]) -> Verdict:
    """May the shipping address become `address`? (On top of `order_verdict` for an address change.)"""
    current = (order.shipping_address or {}).get("country_code", "").strip().upper()
    wanted = (address.get("country_code") or "").strip().upper()
    if not policy.allow_country_change and current and wanted != current:
        return _verdict("country_change")
    return _verdict("ok")


def push_blocker(order: Any) -> str | None:
    """Why a push must not send its mutation, from the order as Shopify shows it now; None when it may.

    Only facts that make the change wrong count here: a merchant may approve after the window, and the
    payment state may have moved on (a pending payment captured), which changes nothing for a cancel.
    """
    if order.cancelled_at is not None:
        return "cancelled"
    if shipped(order):
        return "shipped"
    return None


def message_for(code: str) -> StrOrPromise:
    return MESSAGES.get(code, MESSAGES["not_eligible"])


# What a shopper reads when a push failed, by `Request.Failure` and kind. Shopify's own error text is for
# the merchant (it is in `last_error` and the merchant's e-mail), never shown to the shopper.
FAILURE_MESSAGES: dict[tuple[str, str], StrPromise] = {
    ("shipped", Request.Kind.CANCEL): _(
        "Your order shipped before the store could cancel it — contact the store for a return."
    ),
    ("shipped", Request.Kind.ADDRESS_CHANGE): _(
        "Your order shipped before the store could change its address — contact the store."
    ),
    ("cancelled_in_store", Request.Kind.CANCEL): _("The store had already cancelled this order."),
    ("cancelled_in_store", Request.Kind.ADDRESS_CHANGE): _(
        "This order was cancelled, so its address was not changed."
    ),
    ("order_gone", Request.Kind.CANCEL): MESSAGES["order_gone"],
    ("order_gone", Request.Kind.ADDRESS_CHANGE): MESSAGES["order_gone"],
}
FAILURE_FALLBACK = _("The store could not make this change. They have been told and will contact you.")


def failure_message(request: Request) -> StrOrPromise:
    return FAILURE_MESSAGES.get((request.failure_code, request.kind), FAILURE_FALLBACK)
