"""Payments on an order: what each capture still holds, and how a refund is spread over them.

An order's money comes in through its ``SALE`` and ``CAPTURE`` transactions (one per payment method: a
card, a gift card, ...); an ``AUTHORIZATION`` holds money without taking it. A ``REFUND`` names the
capture it gives back from (``parent_id``), so each capture has its own refundable rest, and refundCreate
checks every refund transaction against the rest of its own parent.

What the schema says (admin-2026-07.graphql): ``Order.suggestedRefund`` previews a refund;
``SuggestedOrderTransaction.kind`` is always ``SUGGESTED_REFUND``; its ``maximumRefundableSet`` is "the
available amount to refund on the gateway"; ``suggestFullRefund`` takes "all refundable line items" and
ignores ``refundLineItems``. What it leaves open, and the devstore guesses (no recording shows a
suggestion, nor an order paid several ways):

* the order of the suggested transactions, and so which payment a partial refund fills first: the order
  the payments were made in (oldest capture first), each filled up to what it still holds;
* every capture that still holds money is suggested, the ones the amount does not reach with 0.0, so a
  client sees every payment's maximum (Shopify's admin lists each payment method with what it can take);
* shipping is only suggested with ``refundShipping`` or ``shippingAmount``, a full refund included;
* the suggested amount never exceeds what the captures still hold: an order nothing was captured for
  (authorization only) suggests 0 and no transaction, whatever its lines are worth;
* ``refundMethodAllocation: STORE_CREDIT`` suggests no transaction (the money would go to store credit);
* an unknown line in ``refundLineItems`` is ignored and a quantity above what is refundable is capped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import orders
from .ids import gid_number
from .money import quantize, to_decimal

D0 = Decimal(0)
CAPTURE_KINDS = ("SALE", "CAPTURE")


def is_capture(tx: dict) -> bool:
    return tx["kind"] in CAPTURE_KINDS and tx["status"] == "SUCCESS"


def captures(order: dict) -> list[dict]:
    """The order's successful captures, in the order a refund is spread over them (a guess: the order the
    payments were made in, see the module docstring)."""
    return [t for t in order["transactions"] if is_capture(t)]


def refundable(order: dict, tx: dict) -> Decimal:
    """What ``tx`` can still give back: its amount less the refunds made from it (0 for anything but a
    successful capture: an authorization took no money, a refund gives none back)."""
    if not is_capture(tx):
        return D0
    back = sum(
        (
            orders.dec(t["amount"])
            for t in order["transactions"]
            if t["kind"] == "REFUND" and t["status"] == "SUCCESS" and t.get("parent_id") == tx["id"]
        ),
        D0,
    )
    return max(orders.dec(tx["amount"]) - back, D0)


def refundable_total(order: dict) -> Decimal:
    return sum((refundable(order, t) for t in captures(order)), D0)


def spread(order: dict, amount: Decimal) -> list[tuple[dict, Decimal, Decimal]]:
    """``amount`` spread over the captures that still hold money: (capture, its share, its maximum) for
    each, in refund order, the first filled up to its maximum before the next gets anything."""
    left = max(amount, D0)
    shares = []
    for tx in captures(order):
        most = refundable(order, tx)
        if most <= 0:
            continue
        share = min(left, most)
        left -= share
        shares.append((tx, share, most))
    return shares


# --- suggestedRefund -----------------------------------------------------------------------------


def refundable_quantity(order: dict, line: dict) -> int:
    """Units of ``line`` not refunded yet. A refund of unfulfilled units lowers the current quantity, one
    of fulfilled units does not (actions.set_current_quantity), so both bounds are needed."""
    refunded_units = sum(
        rli["quantity"]
        for r in order["refunds"]
        for rli in r["refund_line_items"]
        if rli["line_item_id"] == line["id"]
    )
    return max(min(line["current_quantity"], line["quantity"] - refunded_units), 0)


def shipping_refunded(order: dict) -> Decimal:
    return sum((orders.dec(r.get("shipping", "0")) for r in order["refunds"]), D0)


@dataclass(frozen=True)
class RefundLine:
    line: dict
    quantity: int
    restock_type: str
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class SuggestedTransaction:
    parent: dict
    amount: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class Suggestion:
    lines: list[RefundLine]
    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    shipping_maximum: Decimal
    amount: Decimal
    maximum: Decimal
    transactions: list[SuggestedTransaction]


def suggest_refund(
    order: dict,
    *,
    full: bool,
    line_inputs: list[dict],
    refund_shipping: bool,
    shipping_amount: object,
    allocation: str,
) -> Suggestion:
    """Shopify's ``Order.suggestedRefund`` over the order record (amounts in the shop's currency)."""
    currency = order["currency"]
    wanted: list[tuple[dict, int, str]] = []
    if full:
        wanted = [(li, refundable_quantity(order, li), "NO_RESTOCK") for li in order["line_items"]]
    else:
        by_id = {li["id"]: li for li in order["line_items"]}
        for item in line_inputs:
            line = by_id.get(gid_number(item.get("lineItemId"), "LineItem") or -1)
            if line is not None:
                quantity = min(int(item.get("quantity") or 0), refundable_quantity(order, line))
                wanted.append((line, quantity, item.get("restockType") or "NO_RESTOCK"))
    lines = [
        RefundLine(
            line=line,
            quantity=quantity,
            restock_type=restock,
            subtotal=orders.dec(line["price"]) * quantity,
            tax=orders.line_tax(order, line, quantity),
        )
        for line, quantity, restock in wanted
        if quantity > 0
    ]
    subtotal = sum((rl.subtotal for rl in lines), D0)
    tax = sum((rl.tax for rl in lines), D0)
    shipping_maximum = max(orders.shipping(order) - shipping_refunded(order), D0)
    asked = to_decimal(shipping_amount) if shipping_amount is not None else None
    if asked is not None:
        shipping = min(max(quantize(asked, currency), D0), shipping_maximum)
    else:
        shipping = shipping_maximum if refund_shipping else D0
    added_tax = tax if orders.tax_rate(order) is not None and not order.get("taxes_included") else D0
    maximum = refundable_total(order)
    amount = min(subtotal + added_tax + shipping, maximum)
    transactions = []
    if allocation != "STORE_CREDIT":
        transactions = [SuggestedTransaction(tx, share, most) for tx, share, most in spread(order, amount)]
    return Suggestion(
        lines=lines,
        subtotal=subtotal,
        tax=tax,
        shipping=shipping,
        shipping_maximum=shipping_maximum,
        amount=amount,
        maximum=maximum,
        transactions=transactions,
    )
