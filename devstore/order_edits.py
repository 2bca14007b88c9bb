"""Order edits as Shopify stages them: a session (Shopify's calculated order) collects new quantities for
the order's lines and variants to add; reading it prices the order as the edit would leave it; committing
applies it to the order, its stock and its fulfilment orders, and sends ``orders/edited`` and
``orders/updated``.

A session record (``state.edits``, JSON)::

    {"id", "order_id", "created_at",
     "quantities": {"<line id>": staged quantity}, "restock": {"<line id>": true},
     "added": [{"id" (its place in the session), "uuid", "variant_id", "product_id", "title",
                "variant_title", "sku", "price", "presentment_price", "quantity", "taxable",
                "requires_shipping"}], "added_seq"}

Sessions older than ``SESSION_LIFETIME`` are dropped when another begins: Shopify discards an edit that is
never committed (how soon is not documented; a day is our guess).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import actions, catalogue, clock, orders
from .ids import GID_PREFIX, parse_gid
from .money import convert
from .store import Store

SESSION_LIFETIME = 86400.0
ADDED_LINE_PREFIX = GID_PREFIX + "CalculatedLineItem/"


class EditNotAllowed(Exception):
    """The order can no longer be edited (cancelled since the edit began)."""


class BelowFulfilled(Exception):
    """A staged quantity is below what has been fulfilled since it was staged."""


# --- sessions ------------------------------------------------------------------------------------


def begin(store: Store, order: dict) -> dict:
    now = clock.now()
    edits = store.state.edits
    for stale in [s for s in edits.values() if s.get("created_at", now) < now - SESSION_LIFETIME]:
        del edits[stale["id"]]
    session = {
        "id": store.new_id("CalculatedOrder"),
        "order_id": order["id"],
        "created_at": now,
        "quantities": {},
        "restock": {},
        "added": [],
        "added_seq": 0,
    }
    edits[session["id"]] = session
    return session


def session_for(store: Store, value: object) -> tuple[dict, dict] | tuple[None, None]:
    """The session and its order for a CalculatedOrder or OrderEditSession id (the schema takes either)."""
    parsed = parse_gid(value)
    if parsed is None or parsed[0] not in ("CalculatedOrder", "OrderEditSession"):
        return None, None
    session = store.state.edits.get(parsed[1])
    order = store.order(session["order_id"]) if session else None
    return (session, order) if session and order else (None, None)


def editable(order: dict) -> bool:
    return order["cancelled_at"] is None and not order.get("cancel_pending")


# --- staged lines --------------------------------------------------------------------------------


def staged_quantity(session: dict, line: dict) -> int:
    return session["quantities"].get(str(line["id"]), line["current_quantity"])


def restocking(session: dict, line: dict) -> bool:
    return (
        bool(session.get("restock", {}).get(str(line["id"])))
        and staged_quantity(session, line) < line["current_quantity"]
    )


def edited_lines(order: dict, session: dict) -> list[dict]:
    """The order's lines as the calculated order lists them: those not already removed, and any this edit
    touched (Shopify: "all items on the order that existed before starting the edit")."""
    return [
        li
        for li in order["line_items"]
        if li["current_quantity"] > 0 or str(li["id"]) in session["quantities"]
    ]


def added_lines(session: dict) -> list[dict]:
    return session.get("added", [])


def find_line(order: dict, line_id: object) -> dict | None:
    """An order line by its CalculatedLineItem (or LineItem) id: the same number."""
    parsed = parse_gid(line_id)
    number = parsed[1] if parsed else -1
    return next((li for li in order["line_items"] if li["id"] == number), None)


def find_added(session: dict, line_id: object) -> dict | None:
    """A line added in this edit, by the id Shopify gives it: ``CalculatedLineItem/<uuid>``
    (orderEdit-quantity-validation.json, addVariantHappyPath)."""
    if not isinstance(line_id, str) or not line_id.startswith(ADDED_LINE_PREFIX):
        return None
    key = line_id[len(ADDED_LINE_PREFIX) :]
    return next((a for a in added_lines(session) if a["uuid"] == key), None)


def stage_quantity(session: dict, line: dict, quantity: int, restock: bool) -> None:
    session["quantities"][str(line["id"])] = quantity
    session.setdefault("restock", {})[str(line["id"])] = restock


def stage_added_quantity(session: dict, added: dict, quantity: int) -> None:
    """A new quantity for a line this edit added; 0 takes it out of the edit again."""
    added["quantity"] = quantity
    if quantity == 0:
        session["added"] = [a for a in added_lines(session) if a is not added]


def has_variant(order: dict, session: dict, variant_id: int) -> bool:
    """Whether the calculated order already has a line of this variant (what ``allowDuplicates`` is about)."""
    return any(
        li.get("variant_id") == variant_id and staged_quantity(session, li) > 0 for li in order["line_items"]
    ) or any(a["variant_id"] == variant_id for a in added_lines(session))


def add_variant(
    store: Store, session: dict, order: dict, product: dict, variant: dict, quantity: int
) -> dict:
    """Stage a new line of ``variant``, priced in the order's currency. Its title is the product's
    (orderEdit-quantity-validation.json: "The Inventory Not Tracked Snowboard")."""
    fields = catalogue.line_fields(store, product, variant, order["currency"])
    price: Decimal = fields.pop("price")
    session["added_seq"] = session.get("added_seq", 0) + 1
    added = {
        "id": session["added_seq"],
        "uuid": str(uuid.uuid4()),
        **fields,
        "price": str(price),
        "presentment_price": str(convert(price, order["currency"], order["presentment_currency"])),
        "quantity": quantity,
    }
    session.setdefault("added", []).append(added)
    return added


# --- prices --------------------------------------------------------------------------------------


def calculated(order: dict, session: dict) -> dict:
    """The order as the edit would leave it, for pricing: staged quantities as current quantities and the
    added lines appended. The order's own totals (orders.py) then give the edit's, so a preview and the
    committed order always agree."""
    lines = [{**li, "current_quantity": staged_quantity(session, li)} for li in order["line_items"]]
    for added in added_lines(session):
        lines.append(
            {**added, "id": -added["id"], "current_quantity": added["quantity"], "fulfilled_quantity": 0}
        )
    return {**order, "line_items": lines}


# --- commit --------------------------------------------------------------------------------------


def commit(
    store: Store, order: dict, session: dict, *, notify_customer: bool, staff_note: str | None
) -> None:
    """Apply the edit: new quantities (refused below what was fulfilled meanwhile), restock what was
    taken off where the edit asked to, take added and increased quantities out of stock, then settle the
    payment status (a dearer order is partially paid until the shopper pays the balance)."""
    if not editable(order):
        raise EditNotAllowed
    # A line fulfilled after it was staged: refused whole, nothing applied (no recording shows Shopify's
    # answer; refusing is the safe guess, and the message is set-quantity's for the same condition).
    for line in order["line_items"]:
        staged = session["quantities"].get(str(line["id"]))
        if staged is not None and staged < line["fulfilled_quantity"]:
            raise BelowFulfilled
    now = clock.now()
    additions: list[dict] = []
    removals: list[dict] = []
    for line in order["line_items"]:
        key = str(line["id"])
        if key not in session["quantities"]:
            continue
        new = session["quantities"][key]
        delta = new - line["current_quantity"]
        if delta == 0:
            continue
        actions.set_current_quantity(order, line, new)
        line["quantity"] = max(line["quantity"], new)
        if delta > 0:
            additions.append({"id": line["id"], "delta": delta})
            catalogue.adjust_inventory(store, line.get("variant_id"), -delta, at=now)
        else:
            removals.append({"id": line["id"], "delta": -delta})
            if session.get("restock", {}).get(key):
                catalogue.adjust_inventory(store, line.get("variant_id"), -delta, at=now)
    for added in added_lines(session):
        line = {
            "id": store.new_id("LineItem"),
            "title": added["title"],
            "variant_title": added["variant_title"],
            "sku": added["sku"],
            "quantity": added["quantity"],
            "current_quantity": added["quantity"],
            "fulfilled_quantity": 0,
            "price": added["price"],
            "presentment_price": added["presentment_price"],
            "image_url": None,
            "variant_id": added["variant_id"],
            "product_id": added["product_id"],
            "taxable": added["taxable"],
            "requires_shipping": added["requires_shipping"],
        }
        order["line_items"].append(line)
        actions.add_to_fulfillment(store, order, line, at=now)
        additions.append({"id": line["id"], "delta": line["quantity"]})
        catalogue.adjust_inventory(store, line["variant_id"], -line["quantity"], at=now)
    order["edited"] = True
    actions.refresh_fulfillment_orders(order, now)
    orders.refresh_payment_status(order)
    actions.touch(order, now)
    del store.state.edits[session["id"]]
    store.publish(
        "orders/edited",
        rest_order_edit(
            store,
            order,
            session,
            committed_at=now,
            notify_customer=notify_customer,
            staff_note=staff_note,
            additions=additions,
            removals=removals,
        ),
    )
    actions.publish_order(store, order, "orders/updated")


def rest_order_edit(
    store: Store,
    order: dict,
    session: dict,
    *,
    committed_at: float,
    notify_customer: bool,
    staff_note: str | None,
    additions: list[dict],
    removals: list[dict],
) -> dict:
    """The ``orders/edited`` body: the edit, not the order (shopify.dev's webhook reference; ``committed_at``
    since 2024-07). ``app_id`` would be the editing app's numeric id, which the devstore's app has none of."""
    return {
        "order_edit": {
            "id": session["id"],
            "app_id": None,
            "created_at": clock.iso_local(session.get("created_at", committed_at), store.zone),
            "committed_at": clock.iso_local(committed_at, store.zone),
            "notify_customer": bool(notify_customer),
            "order_id": order["id"],
            "staff_note": staff_note or "",
            "user_id": None,
            "line_items": {"additions": additions, "removals": removals},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }
