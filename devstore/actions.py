"""State transitions on orders, shared by the GraphQL mutations and the control API.

Each function runs under ``store.lock`` (the caller holds it), changes the record, bumps ``updated_at``
and queues the webhook topics Shopify would send for that change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from . import catalogue, clock, orders, payments
from . import fulfillment_orders as fulfilment
from .errors import ActionError as ActionError  # re-exported: callers catch actions.ActionError
from .money import convert, quantize, to_decimal
from .store import Store

PAID_STATES = {"paid", "partially_refunded", "refunded", "partially_paid"}
# The kinds a payment of the control API's ``payments`` may take: a sale; an authorization (money held, not
# taken); a capture (an authorization and its capture, the way a card is charged when captured later).
PAYMENT_KINDS = ("sale", "authorization", "capture")
# Shopify's orderCreate `inventoryBehaviour`, lower-cased; BYPASS is its default.
INVENTORY_BEHAVIOURS = ("bypass", "decrement_ignoring_policy", "decrement_obeying_policy")


def publish_order(store: Store, order: dict, *topics: str) -> None:
    customer = store.customer(order.get("customer_id"))
    body = orders.rest_order(order, customer, store.zone)
    for topic in topics:
        store.publish(topic, body)


def touch(order: dict, at: float | None = None) -> None:
    order["updated_at"] = max(at if at is not None else clock.now(), order["updated_at"])


# --- creation ------------------------------------------------------------------------------------


def _split_name(data: dict) -> tuple[str | None, str | None]:
    customer = data.get("customer") or {}
    first, last = customer.get("first_name"), customer.get("last_name")
    if not first and not last and data.get("customer_name"):
        parts = str(data["customer_name"]).split(" ", 1)
        first, last = parts[0], parts[1] if len(parts) > 1 else None
    return first, last


def _tags(value: str | Iterable[object] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return sorted({str(t).strip() for t in items if str(t).strip()})


def create_order(store: Store, data: dict, *, emit: bool = True, at: float | None = None) -> dict:
    """Create an order from the control API's REST-shaped fields (also used by the seeder)."""
    now = at if at is not None else clock.now()
    currency = data.get("currency") or store.shop.currency
    presentment = data.get("presentment_currency") or currency
    lines_in = data.get("line_items") or []
    if not lines_in:
        raise ActionError("line_items must not be empty")
    processed_at = now
    if isinstance(data.get("processed_at"), (int, float)):
        processed_at = float(data["processed_at"])  # the seeder passes epoch seconds directly
    elif data.get("processed_at"):
        parsed = clock.parse_time(str(data["processed_at"]), store.zone)
        if parsed is None:
            raise ActionError("processed_at is not an ISO-8601 date-time")
        processed_at = parsed
    created_at = processed_at if data.get("created_at") is None else clock.parse_time(str(data["created_at"]))
    created_at = created_at if created_at is not None else now
    first, last = _split_name(data)
    email = data.get("email")
    customer = store.customer_for(email, first, last, created_at)

    behaviour = str(data.get("inventory_behaviour") or "bypass").lower()
    if behaviour not in INVENTORY_BEHAVIOURS:
        raise ActionError(f"inventory_behaviour must be one of {', '.join(INVENTORY_BEHAVIOURS)}")
    tax_rate = None
    if data.get("tax_rate") is not None:
        rate = to_decimal(data["tax_rate"])
        if rate is None or not 0 <= rate < 1:
            raise ActionError("tax_rate must be a decimal fraction such as 0.1")
        tax_rate = str(rate)
    line_items = [_new_line(store, raw, currency, presentment) for raw in lines_in]
    shipping_price = quantize(to_decimal(data.get("shipping_price", "0")) or Decimal(0), currency)
    priced = {
        "line_items": line_items,
        "shipping_price": str(shipping_price),
        "tax_rate": tax_rate,
        "taxes_included": bool(data.get("taxes_included", False)),
        "currency": currency,
        "presentment_currency": presentment,
    }
    paid_with = _payments(data, orders.total(priced), currency, "manual" if data.get("test") else None)
    financial_status = (data.get("financial_status") or "paid").lower()
    if paid_with is not None:
        financial_status = _payments_status(paid_with, orders.total(priced), data.get("financial_status"))
    if behaviour != "bypass":
        _take_stock(store, line_items, obey_policy=behaviour == "decrement_obeying_policy", at=now)
    number = store.state.next_order_number
    store.state.next_order_number += 1
    order = {
        "id": store.new_id("Order"),
        "number": number,
        "name": f"#{number}",
        "email": email,
        "phone": data.get("phone"),
        "created_at": created_at,
        "updated_at": max(created_at, processed_at),
        "processed_at": processed_at,
        "cancelled_at": None,
        "cancel_reason": None,
        "closed_at": None,
        "cancel_pending": False,
        "note": data.get("note"),
        "tags": _tags(data.get("tags")),
        "currency": currency,
        "presentment_currency": presentment,
        "financial_status": financial_status,
        "customer_id": customer["id"] if customer else None,
        "shipping_address": orders.address_from_rest(data.get("shipping_address")),
        "shipping_price": str(shipping_price),
        "shipping_title": data.get("shipping_title") or "Standard Shipping",
        "tax_rate": tax_rate,
        "taxes_included": bool(data.get("taxes_included", False)),
        "tax_title": data.get("tax_title") or "Tax",
        "line_items": line_items,
        "transactions": [],
        "refunds": [],
        "fulfillment_orders": [],
        "fulfillments": [],
        "returns": [],
        "test": bool(data.get("test", False)),
        "edited": False,
        "risk_level": data.get("risk_level", "LOW"),
    }
    order["fulfillment_orders"].append(_new_fulfillment_order(store, order, order["line_items"], created_at))
    if paid_with is None:
        _add_initial_transactions(store, order)
    else:
        _add_payments(store, order, paid_with)
    if customer is not None:
        customer["order_ids"].append(order["id"])
    store.add_order(order)
    store.state.fo_index[order["fulfillment_orders"][0]["id"]] = order["id"]

    status = (data.get("fulfillment_status") or "").lower()
    if status in ("fulfilled", "shipped"):
        fulfill(store, order, None, emit=False, at=created_at)
    elif status in ("partial", "partially_fulfilled"):
        first_line = order["line_items"][0]
        # A single one-unit line cannot be partial: it ends up simply fulfilled.
        fulfill(
            store, order, [(first_line["id"], max(first_line["quantity"] // 2, 1))], emit=False, at=created_at
        )
    if data.get("closed"):
        order["closed_at"] = order["updated_at"]
    if emit:
        publish_order(store, order, "orders/create")
    return order


def _new_line(store: Store, raw: dict, currency: str, presentment: str) -> dict:
    """A line from the control API's fields. With a ``variant_id`` the catalogue fills in what is left out
    (title, variant title, SKU, the price in the order's currency)."""
    from_variant: dict[str, Any] = {}
    if raw.get("variant_id") is not None:
        product, variant = store.variant(catalogue.variant_number(raw["variant_id"]))
        if product is None or variant is None:
            raise ActionError(f"variant {raw['variant_id']} is not in the catalogue")
        from_variant = catalogue.line_fields(store, product, variant, currency)
    price = (
        to_decimal(raw["price"]) if raw.get("price") is not None else from_variant.get("price", Decimal(0))
    )
    quantity = int(raw.get("quantity", 1))
    if price is None or quantity < 1:
        raise ActionError("each line item needs a decimal price and a quantity of at least 1")
    price = quantize(price, currency)
    return {
        "id": store.new_id("LineItem"),
        "title": raw.get("title") or from_variant.get("title") or "Item",
        "variant_title": raw.get("variant_title", from_variant.get("variant_title")),
        "sku": raw.get("sku", from_variant.get("sku")),
        "quantity": quantity,
        "current_quantity": quantity,
        "fulfilled_quantity": 0,
        "price": str(price),
        "presentment_price": str(convert(price, currency, presentment)),
        "image_url": raw.get("image_url"),
        "variant_id": from_variant.get("variant_id"),
        "product_id": from_variant.get("product_id"),
        "taxable": bool(raw.get("taxable", from_variant.get("taxable", True))),
        "requires_shipping": bool(raw.get("requires_shipping", from_variant.get("requires_shipping", True))),
        "gift_card": bool(raw.get("gift_card", False)),
    }


def _take_stock(store: Store, lines: list[dict], *, obey_policy: bool, at: float) -> None:
    """Sell the lines' variants out of stock, as a checkout does; obeying the inventory policy refuses to
    oversell a variant that may not be sold out of stock."""
    if obey_policy:
        for line in lines:
            product, variant = store.variant(line["variant_id"])
            if (
                product is not None
                and variant is not None
                and catalogue.is_tracked(variant)
                and variant["inventory_policy"] == "DENY"
                and variant["inventory_quantity"] < line["quantity"]
            ):
                raise ActionError(f"variant {variant['id']} has {variant['inventory_quantity']} in stock")
    for line in lines:
        catalogue.adjust_inventory(store, line["variant_id"], -line["quantity"], at=at)


def _payments(
    data: dict, total: Decimal, currency: str, default_gateway: str | None
) -> list[tuple[str, Decimal, str]] | None:
    """The control API's ``payments`` as (kind, amount, gateway), checked; None when there are none (one
    sale for the total, or what ``financial_status`` says, as before). Amounts are in the shop's currency
    and must add up to the order total."""
    raw = data.get("payments")
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
        raise ActionError("payments must be a non-empty list of objects")
    paid_with = []
    for i, payment in enumerate(raw):
        kind = str(payment.get("kind") or "sale").lower()
        if kind not in PAYMENT_KINDS:
            raise ActionError(f"payments[{i}].kind must be one of {', '.join(PAYMENT_KINDS)}")
        amount = to_decimal(payment.get("amount"))
        if amount is None or amount <= 0:
            raise ActionError(f"payments[{i}].amount must be a decimal amount above 0")
        gateway = payment.get("gateway") or default_gateway or "shopify_payments"
        if not isinstance(gateway, str):
            raise ActionError(f"payments[{i}].gateway must be a string")
        paid_with.append((kind, quantize(amount, currency), gateway))
    paid = sum((amount for _, amount, _ in paid_with), Decimal(0))
    if paid != quantize(total, currency):
        raise ActionError(f"payments add up to {paid}, not to the order total {quantize(total, currency)}")
    return paid_with


def _payments_status(paid_with: list[tuple[str, Decimal, str]], total: Decimal, asked: object) -> str:
    """The financial status the payments make: paid when they took the whole total, authorized when they
    took nothing, partially paid in between. A ``financial_status`` sent with them must agree."""
    taken = sum((amount for kind, amount, _ in paid_with if kind != "authorization"), Decimal(0))
    status = "paid" if taken >= total else ("authorized" if taken == 0 else "partially_paid")
    if asked and str(asked).lower() != status:
        raise ActionError(f"financial_status {str(asked).lower()} does not match the payments ({status})")
    return status


def _add_payments(store: Store, order: dict, paid_with: list[tuple[str, Decimal, str]]) -> None:
    at = order["processed_at"]
    for kind, amount, gateway in paid_with:
        if kind == "sale":
            order["transactions"].append(_transaction(store, "SALE", amount, gateway, None, at))
            continue
        authorization = _transaction(store, "AUTHORIZATION", amount, gateway, None, at)
        order["transactions"].append(authorization)
        if kind == "capture":
            order["transactions"].append(
                _transaction(store, "CAPTURE", amount, gateway, authorization["id"], at)
            )


def _add_initial_transactions(store: Store, order: dict) -> None:
    status = order["financial_status"]
    total = orders.total(order)
    gateway = "manual" if order.get("test") else "shopify_payments"
    at = order["processed_at"]
    if status == "authorized":
        order["transactions"].append(_transaction(store, "AUTHORIZATION", total, gateway, None, at))
    elif status in PAID_STATES:
        amount = total if status != "partially_paid" else quantize(total / 2, order["currency"])
        sale = _transaction(store, "SALE", amount, gateway, None, at)
        order["transactions"].append(sale)
        if status == "refunded":
            _create_refund(
                store, order, [(amount, sale, None)], note="Refunded", lines=[], at=at, remove_lines=True
            )
        elif status == "partially_refunded":
            part = quantize(Decimal(orders.dec(order["line_items"][0]["price"])), order["currency"])
            _create_refund(store, order, [(min(part, amount), sale, None)], note=None, lines=[], at=at)
    order["financial_status"] = status


def _transaction(
    store: Store, kind: str, amount: Decimal, gateway: str, parent: int | None, at: float
) -> dict:
    return {
        "id": store.new_id("OrderTransaction"),
        "kind": kind,
        "status": "SUCCESS",
        "gateway": gateway,
        "amount": str(amount),
        "parent_id": parent,
        "created_at": at,
    }


def _new_fulfillment_order(store: Store, order: dict, lines: list[dict], at: float) -> dict:
    return {
        "id": store.new_id("FulfillmentOrder"),
        "status": "OPEN",
        "request_status": "UNSUBMITTED",
        "created_at": at,
        "updated_at": at,
        "line_items": [
            {
                "id": store.new_id("FulfillmentOrderLineItem"),
                "line_item_id": li["id"],
                "total": li["current_quantity"],
                "remaining": orders.unfulfilled_quantity(li),
            }
            for li in lines
        ],
        "holds": [],
    }


# --- refunds -------------------------------------------------------------------------------------


def _create_refund(
    store: Store,
    order: dict,
    transactions: list[tuple[Decimal, dict | None, str | None]],
    *,
    note: str | None,
    lines: list[tuple[dict, int]],
    at: float,
    remove_lines: bool = False,
    shipping: Decimal | None = None,
) -> dict:
    """One refund with a REFUND transaction per (amount, parent capture, gateway) that gives money back;
    the gateway defaults to the parent's."""
    refund: dict[str, Any] = {
        "id": store.new_id("Refund"),
        "created_at": at,
        "note": note,
        "transaction_ids": [],
        "refund_line_items": [],
        "shipping": str(shipping or 0),
    }
    for amount, parent, gateway in transactions:
        if amount <= 0:
            continue
        tx = _transaction(
            store,
            "REFUND",
            amount,
            gateway or (parent["gateway"] if parent else "manual"),
            parent["id"] if parent else None,
            at,
        )
        order["transactions"].append(tx)
        refund["transaction_ids"].append(tx["id"])
    for line, qty in lines:
        set_current_quantity(order, line, max(line["current_quantity"] - qty, line["fulfilled_quantity"]))
        refund["refund_line_items"].append({"line_item_id": line["id"], "quantity": qty})
    if remove_lines:
        for line in order["line_items"]:
            set_current_quantity(order, line, line["fulfilled_quantity"])
    refresh_fulfillment_orders(order, at)
    order["refunds"].append(refund)
    orders.refresh_financial_status(order)
    return refund


def refund(
    store: Store,
    order: dict,
    *,
    transactions: list[tuple[Decimal, dict, str]],
    lines: list[tuple[dict, int]],
    note: str | None,
    notify: bool,
) -> dict:
    """refundCreate after validation: one refund with a REFUND transaction per (amount, parent, gateway),
    several parents allowed (an order paid by card and gift card refunds to both at once)."""
    now = clock.now()
    planned: list[tuple[Decimal, dict | None, str | None]] = list(transactions)
    refund_record = _create_refund(store, order, planned, note=note, lines=lines, at=now)
    touch(order, now)
    publish_order(store, order, "orders/updated")
    store.publish("refunds/create", orders.rest_refund(order, refund_record, store.zone))
    return refund_record


# --- fulfilment ----------------------------------------------------------------------------------


def _active_fos(order: dict, *, include_held: bool = True) -> list[dict]:
    states = ("OPEN", "IN_PROGRESS", "ON_HOLD") if include_held else ("OPEN", "IN_PROGRESS")
    return [fo for fo in order["fulfillment_orders"] if fo["status"] in states]


def _fo_lines(fos: list[dict], line_id: int) -> list[dict]:
    return [fli for fo in fos for fli in fo["line_items"] if fli["line_item_id"] == line_id]


def _adjust_quantity(order: dict, line_id: int, delta: int) -> None:
    """Mirror a change of a line's unfulfilled quantity on its fulfillment orders (open ones first)."""
    if delta < 0:
        left = -delta
        ordered = _active_fos(order, include_held=False) + [
            fo for fo in order["fulfillment_orders"] if fo["status"] == "ON_HOLD"
        ]
        for fli in _fo_lines(ordered, line_id):
            take = min(left, fli["remaining"])
            fli["remaining"] -= take
            fli["total"] -= take
            left -= take
    elif delta > 0:
        lines = _fo_lines(_active_fos(order, include_held=False), line_id)
        if lines:
            lines[0]["remaining"] += delta
            lines[0]["total"] += delta


def refresh_fulfillment_orders(order: dict, at: float) -> None:
    for fo in order["fulfillment_orders"]:
        if fo["status"] in ("CLOSED", "CANCELLED"):
            continue
        fulfilled_any = any(fli.get("fulfilled", 0) for fli in fo["line_items"])
        if all(fli["remaining"] == 0 for fli in fo["line_items"]):
            fo["status"] = "CLOSED" if fulfilled_any else "CANCELLED"
            fo["holds"] = []
        elif fo["status"] != "ON_HOLD":
            fo["status"] = fulfilment.unheld_status(fo)
        fo["updated_at"] = at


def add_to_fulfillment(store: Store, order: dict, line: dict, *, at: float) -> None:
    """Put a line an order edit added on the order's first active fulfillment order, a held one included
    (so a hold keeps covering what the shopper swapped to; where Shopify puts it is not recorded), or on
    a new one when none is active."""
    active = _active_fos(order)
    if not active:
        fo = _new_fulfillment_order(store, order, [line], at)
        order["fulfillment_orders"].append(fo)
        store.state.fo_index[fo["id"]] = order["id"]
        return
    active[0]["line_items"].append(
        {
            "id": store.new_id("FulfillmentOrderLineItem"),
            "line_item_id": line["id"],
            "total": line["current_quantity"],
            "remaining": orders.unfulfilled_quantity(line),
        }
    )
    active[0]["updated_at"] = at


def set_current_quantity(order: dict, line: dict, new: int) -> None:
    before = orders.unfulfilled_quantity(line)
    line["current_quantity"] = new
    _adjust_quantity(order, line["id"], orders.unfulfilled_quantity(line) - before)


def fulfill(
    store: Store,
    order: dict,
    lines: list[tuple[int, int]] | None,
    *,
    emit: bool = True,
    at: float | None = None,
) -> str:
    """Fulfil all unfulfilled quantities not on hold, or the given (line item id, quantity) pairs."""
    now = at if at is not None else clock.now()
    if order["cancelled_at"] is not None:
        raise ActionError("a cancelled order cannot be fulfilled", 409)
    by_id = {li["id"]: li for li in order["line_items"]}
    open_fos = _active_fos(order, include_held=False)

    def fulfillable(line_id: int) -> int:
        return sum(fli["remaining"] for fli in _fo_lines(open_fos, line_id))

    if lines is None:
        lines = [(li["id"], fulfillable(li["id"])) for li in order["line_items"]]
        lines = [(i, q) for i, q in lines if q > 0]
        if not lines and orders.on_hold(order):
            raise ActionError("the fulfillment order is on hold; release the hold first", 409)
    if not lines:
        raise ActionError("nothing left to fulfil", 409)
    for line_id, qty in lines:
        if line_id not in by_id:
            raise ActionError(f"line item {line_id} is not on this order")
        if qty < 1 or qty > fulfillable(line_id):
            raise ActionError(f"line item {line_id} has {fulfillable(line_id)} fulfillable (not held)", 409)
    for line_id, qty in lines:
        by_id[line_id]["fulfilled_quantity"] += qty
        left = qty
        for fli in _fo_lines(open_fos, line_id):
            take = min(left, fli["remaining"])
            fli["remaining"] -= take
            fli["fulfilled"] = fli.get("fulfilled", 0) + take
            left -= take
    # One fulfillment per call, holding what was shipped: its line items are what a return points at
    # (ReturnRequestLineItemInput.fulfillmentLineItemId), as on Shopify.
    order.setdefault("fulfillments", []).append(
        {
            "id": store.new_id("Fulfillment"),
            "status": "SUCCESS",
            "created_at": now,
            "updated_at": now,
            "line_items": [
                {"id": store.new_id("FulfillmentLineItem"), "line_item_id": line_id, "quantity": qty}
                for line_id, qty in lines
            ],
        }
    )
    refresh_fulfillment_orders(order, now)
    touch(order, now)
    state = orders.fulfillment_state(order)
    if emit:
        topic = "orders/fulfilled" if state == "fulfilled" else "orders/partially_fulfilled"
        publish_order(store, order, topic, "orders/updated")
    return state


def deliver(store: Store, order: dict, *, at: float | None = None) -> None:
    """Mark every shipment of the order not yet delivered as delivered (``deliveredAt``)."""
    now = float(at) if at is not None else clock.now()
    pending = [f for f in order.get("fulfillments", []) if f.get("delivered_at") is None]
    if not pending:
        raise ActionError("no shipment waits for delivery", 409)
    for fulfillment in pending:
        fulfillment["delivered_at"] = now
        fulfillment["updated_at"] = now
    touch(order, now)
    publish_order(store, order, "orders/updated")


# --- cancellation --------------------------------------------------------------------------------


def request_cancel(store: Store, order: dict, params: dict, delay: float) -> dict:
    """Start an asynchronous cancel, like Shopify's orderCancel: a job that is done a moment later."""
    job = {
        "id": str(uuid.uuid4()),
        "kind": "order_cancel",
        "order_id": order["id"],
        "params": params,
        "ready_at": clock.now() + delay,
        "done": False,
    }
    order["cancel_pending"] = True
    store.state.jobs[job["id"]] = job
    return job


def complete_due_jobs(store: Store, fail: Callable[[], str | None] = lambda: None) -> bool:
    """Finish every job whose time has come; returns whether anything changed. `fail` (the faults'
    `take_job`) says when a job is to finish without its effect."""
    now = clock.now()
    changed = False
    for job in store.state.jobs.values():
        if job["done"] or job["ready_at"] > now:
            continue
        order = store.order(job["order_id"])
        if fail() == "fail_jobs":
            if order is not None:
                order["cancel_pending"] = False
        elif order is not None and job["kind"] == "order_cancel":
            cancel_now(store, order, job["params"], at=now)
        job["done"] = True
        changed = True
    return changed


def cancel_now(store: Store, order: dict, params: dict, *, at: float | None = None) -> None:
    now = at if at is not None else clock.now()
    if order["cancelled_at"] is not None:
        return
    order["cancel_pending"] = False
    order["cancelled_at"] = now
    if store.auto_archive:
        # Shopify archives a cancelled order at once when the shop auto-archives (the default):
        # orderCancel-parity.json reads closed: true with closedAt equal to cancelledAt.
        order["closed_at"] = now
    order["cancel_reason"] = params.get("reason") or "OTHER"
    if params.get("restock"):
        # orderCancel(restock: true): the unfulfilled units go back to stock.
        for line in order["line_items"]:
            catalogue.adjust_inventory(
                store, line.get("variant_id"), orders.unfulfilled_quantity(line), at=now
            )
    refund_wanted = bool(params.get("refund")) or bool(params.get("refund_method"))
    net = orders.received(order) - orders.refunded(order)
    if refund_wanted and net > 0:
        # Every payment gets back what it still holds (a card and a gift card each their own share).
        back: list[tuple[Decimal, dict | None, str | None]] = [
            (share, tx, None) for tx, share, _ in payments.spread(order, net)
        ]
        _create_refund(store, order, back, note=params.get("staff_note"), lines=[], at=now, remove_lines=True)
    else:
        for line in order["line_items"]:
            set_current_quantity(order, line, line["fulfilled_quantity"])
        if orders.received(order) == 0 and order["financial_status"] in ("pending", "authorized"):
            order["financial_status"] = "voided"
    live = [fo["id"] for fo in order["fulfillment_orders"] if fo["status"] not in ("CLOSED", "CANCELLED")]
    refresh_fulfillment_orders(order, now)
    for fo in order["fulfillment_orders"]:
        if fo["status"] != "CLOSED":
            fo["status"] = "CANCELLED"
            fo["holds"] = []
    touch(order, now)
    publish_order(store, order, "orders/cancelled", "orders/updated")
    fulfilment.cancelled(
        store, [fo for fo in order["fulfillment_orders"] if fo["id"] in live and fo["status"] == "CANCELLED"]
    )


# --- closing (archiving) -------------------------------------------------------------------------


def close_order(store: Store, order: dict) -> bool:
    """orderClose: archive the order; returns whether anything changed. Closing a closed order changes
    nothing, not even ``updated_at`` (a public live capture, airhorns/shopify-draft-proxy
    orderClose-noop-on-already-closed.json: closedAt and updatedAt stay as they were, no userErrors)."""
    if order["closed_at"] is not None:
        return False
    now = clock.now()
    order["closed_at"] = now
    touch(order, now)
    publish_order(store, order, "orders/updated")
    return True


def open_order(store: Store, order: dict) -> bool:
    """orderOpen: unarchive the order; an open order is left as it is (orderOpen-noop-on-already-open.json
    in the same public captures)."""
    if order["closed_at"] is None:
        return False
    now = clock.now()
    order["closed_at"] = None
    touch(order, now)
    publish_order(store, order, "orders/updated")
    return True


# --- deletion ------------------------------------------------------------------------------------


def delete_order(store: Store, order: dict) -> None:
    store.state.orders.pop(order["id"], None)
    store.state.order_ids.remove(order["id"])
    store.publish("orders/delete", {"id": order["id"]})


# --- holds ---------------------------------------------------------------------------------------


def hold(
    store: Store, order: dict, fo: dict, params: dict, partial: dict[int, int] | None
) -> tuple[dict, dict | None]:
    """Put ``fo`` (or, for a partial hold, the given quantities of it) on hold.

    A partial hold splits the fulfillment order the way Shopify does: the held quantities stay on ``fo``
    (same id, ON_HOLD) and the rest moves to a new OPEN fulfillment order, the ``remainingFulfillmentOrder``.
    """
    now = clock.now()
    remaining_fo = None
    if partial:
        moved = []
        for fli in fo["line_items"]:
            held = partial.get(fli["id"], 0)
            rest = fli["remaining"] - held
            if rest > 0:
                moved.append(
                    {
                        "id": store.new_id("FulfillmentOrderLineItem"),
                        "line_item_id": fli["line_item_id"],
                        "total": rest,
                        "remaining": rest,
                    }
                )
            fli["remaining"] = held
            fli["total"] = held
        fo["line_items"] = [fli for fli in fo["line_items"] if fli["total"] > 0]
        if moved:
            remaining_fo = {
                "id": store.new_id("FulfillmentOrder"),
                "status": "OPEN",
                "request_status": "UNSUBMITTED",
                "created_at": now,
                "updated_at": now,
                "line_items": moved,
                "holds": [],
                "split_from": fo["id"],
            }
            order["fulfillment_orders"].append(remaining_fo)
            store.state.fo_index[remaining_fo["id"]] = order["id"]
    record = {
        "id": store.new_id("FulfillmentHold"),
        "handle": params.get("handle"),
        "reason": params["reason"],
        "reason_notes": params.get("reasonNotes"),
        "external_id": params.get("externalId"),
        "created_at": now,
    }
    fo["holds"].append(record)
    was_held = fo["status"] == "ON_HOLD"
    fo["status"] = "ON_HOLD"
    fo["updated_at"] = now
    if not was_held:  # Shopify sends it when the first hold goes on, not for a hold added to others
        store.publish(
            "fulfillment_orders/placed_on_hold",
            fulfilment.placed_on_hold_body(fo, record, remaining_fo),
            subscribers_only=True,
        )
    return record, remaining_fo


def release_hold(store: Store, order: dict, fo: dict, hold_ids: set[int] | None) -> None:
    now = clock.now()
    fo["holds"] = [h for h in fo["holds"] if hold_ids is not None and h["id"] not in hold_ids]
    if not fo["holds"]:
        # Shopify merges the fulfillment order split off by a partial hold back in on release
        # (fulfillment-order-lifecycle.json: totalQuantity goes from 1 back to 2).
        for other in list(order["fulfillment_orders"]):
            if other.get("split_from") == fo["id"] and other["status"] == "OPEN":
                for moved in other["line_items"]:
                    target = next(
                        (f for f in fo["line_items"] if f["line_item_id"] == moved["line_item_id"]), None
                    )
                    if target is None:
                        fo["line_items"].append(moved)
                    else:
                        target["remaining"] += moved["remaining"]
                        target["total"] += moved["total"]
                order["fulfillment_orders"].remove(other)
        fo["status"] = fulfilment.unheld_status(fo)
    fo["updated_at"] = now
    if not fo["holds"]:  # Shopify sends it once the last hold is gone and the status moved on
        store.publish(
            "fulfillment_orders/hold_released",
            {"fulfillment_order": fulfilment.rest_summary(fo)},
            subscribers_only=True,
        )
