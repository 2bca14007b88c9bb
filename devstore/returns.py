"""Returns as the 2026-07 Admin API keeps them: a customer's request (``returnRequest``, status REQUESTED)
that the merchant approves (``returnApproveRequest``: OPEN) or declines (``returnDeclineRequest``: DECLINED,
with a reason and a note), always of units the order has shipped.

A return record lives on its order (``order["returns"]``, JSON, kept in the state file)::

    {"id", "name" ("#1001-R1"), "status", "created_at", "updated_at", "request_approved_at", "closed_at",
     "decline": None | {"reason", "note"},
     "line_items": [{"id", "fulfillment_line_item_id", "line_item_id", "quantity", "return_reason",
                     "return_reason_definition_id", "customer_note"}]}

What is returned are fulfillment line items (the records actions.fulfill writes per shipment). Each can be
returned up to its quantity less what other returns hold of it. A declined return holds nothing: "When a
return is declined, each ``ReturnLineItem.fulfillmentLineItem`` can be associated to a new return" (the
schema's description of returnDeclineRequest); nor does a canceled one.

No recording in ../shared shows returns. The answers below are live Shopify's (API 2026-04) as public captures
show them (airhorns/shopify-draft-proxy, fixtures/conformance/<shop>/2026-04/orders/):

* more than is left to return: ``["input", "returnLineItems", "<i>", "quantity"]``, INVALID, "Return line item
  has an invalid quantity." (return-quantity-validation.json: a line of 2 with 1 in an OPEN return, asked 2);
* a fulfillment line item not on the order: ``["input", "returnLineItems", "<i>", "fulfillmentLineItemId"]``,
  NOT_FOUND, "Fulfillment Line Item was not found." (same file: only the bad line is reported);
* neither ``returnReason`` nor ``returnReasonDefinitionId``: ``["input", "returnLineItems", "<i>",
  "returnReason"]``, BLANK, "Return reason can't be blank"; ``OTHER`` without a note is accepted, and so is
  the "Other" reason definition (return-reason-validation.json, which also lists the definitions 1-10 below);
* approve and decline (returnApprove-decline-state-preconditions.json): an unknown id ``["input", "id"]``,
  NOT_FOUND, "Return not found."; approving a return that is not REQUESTED, INVALID_STATE, "Return is not
  approvable. Only returns with status REQUESTED can be approved."; declining a declined return,
  INVALID_STATE, "The return is already declined.", and any other that is not REQUESTED "Return is not
  declinable. Only non-refunded returns with status REQUESTED can be declined."; a return is named
  ``#1916-R1``; the decline reads back as sent; the request's line shows ``processedQuantity`` 0 and
  ``unprocessedQuantity`` its quantity.

Guessed (no capture found): an unknown order (``["input", "orderId"]``, NOT_FOUND, "Order was not found.",
worded like the fulfillment line item's); an empty ``returnLineItems`` (``["input", "returnLineItems"]``,
INVALID, "Return must include at least one line item."); a quantity below 1 (the line's ``quantity``,
GREATER_THAN, "Quantity must be greater than 0": Shopify's captured wording for removeFromReturn, which
answers it with field null); an unknown ``returnReasonDefinitionId`` (NOT_FOUND, "Return reason definition was
not found."); a customer note over 300 characters and a decline note over 500 (TOO_LONG; the limits are the
schema's). Every line is checked and reports its first problem, looked for in this order: the fulfillment
line item, the quantity, the reason, the note. A legacy
``returnReason`` also reads back as the matching reason definition, and a definition as the matching
``returnReason`` (UNKNOWN for none).

A merchant deciding in Shopify's admin is the control API's ``POST /_devstore/returns/<id>/approve`` and
``…/decline`` (`decide`): the same checks and changes as the mutations, the same webhooks.

Webhooks go to subscribers of ``returns/request``, ``returns/approve`` and ``returns/decline`` only (as the
fulfillment-order topics do), each followed by ``orders/updated``. The request body is the sample Shopify
documents for ``returns/request`` as docs.yellow.ai's Shopify page quotes it (``id``,
``admin_graphql_api_id``, ``status`` lower-case, ``order {id, admin_graphql_api_id}``, ``name``,
``total_return_line_items``, ``return_line_items`` with ``fulfillment_line_item {…, line_item {…}}``,
``quantity``, ``return_reason`` lower-case, ``return_reason_note``, ``customer_note``); ``returns/approve``
sends the same with status ``open`` (its field list in a public Go client of Shopify's samples,
sadsciencee/shopify-webhooks-go, is the same); ``returns/decline`` is ``{id, admin_graphql_api_id, status,
decline {reason, note}}`` (same client). That the decline reason is lower-case is a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import actions, clock
from .ids import gid, gid_number
from .store import Store

MAX_CUSTOMER_NOTE = 300
MAX_DECLINE_NOTE = 500
# Shopify's ReturnDeclineReason values.
DECLINE_REASONS = ("RETURN_PERIOD_ENDED", "FINAL_SALE", "OTHER")
# Statuses whose lines count against what is left to return.
HOLDING = ("REQUESTED", "OPEN", "CLOSED")
# Shopify's return reason definitions 1-10 (handle, name) and the legacy ReturnReason each stands for.
REASON_DEFINITIONS: dict[int, tuple[str, str, str]] = {
    1: ("unknown", "Unknown", "UNKNOWN"),
    2: ("changed-my-mind", "Changed my mind", "UNWANTED"),
    3: ("item-not-as-described", "Item not as described", "NOT_AS_DESCRIBED"),
    4: ("received-the-wrong-item", "Received the wrong item", "WRONG_ITEM"),
    5: ("other-reason", "Other", "OTHER"),
    6: ("damaged-or-defective", "Damaged or defective", "DEFECTIVE"),
    7: ("too-small", "Too small", "SIZE_TOO_SMALL"),
    8: ("too-big", "Too big", "SIZE_TOO_LARGE"),
    9: ("style", "Style", "STYLE"),
    10: ("color", "Color", "COLOR"),
}
DEFINITION_FOR_REASON = {reason: number for number, (_h, _n, reason) in REASON_DEFINITIONS.items()}

RETURN_NOT_FOUND = "Return not found."
NOT_APPROVABLE = "Return is not approvable. Only returns with status REQUESTED can be approved."
ALREADY_DECLINED = "The return is already declined."
NOT_DECLINABLE = "Return is not declinable. Only non-refunded returns with status REQUESTED can be declined."


def _error(field: list[str] | None, message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


# --- fulfillment line items ------------------------------------------------------------------------


def fulfillment_line_items(order: dict) -> Iterator[dict]:
    for fulfillment in order.get("fulfillments", []):
        yield from fulfillment["line_items"]


def find_fulfillment_line_item(order: dict, fli_id: int | None) -> dict | None:
    return next((f for f in fulfillment_line_items(order) if f["id"] == fli_id), None)


def held_quantity(order: dict, fli_id: int) -> int:
    """Units of a fulfillment line item in returns that hold them (requested, open or closed)."""
    return sum(
        rli["quantity"]
        for r in order.get("returns", [])
        if r["status"] in HOLDING
        for rli in r["line_items"]
        if rli["fulfillment_line_item_id"] == fli_id
    )


def returnable_quantity(order: dict, fli: dict) -> int:
    return max(fli["quantity"] - held_quantity(order, fli["id"]), 0)


def reason_of(line: dict) -> str:
    """The legacy ``ReturnReason`` of a return line (from its definition when only that was sent)."""
    if line.get("return_reason"):
        return str(line["return_reason"])
    definition = REASON_DEFINITIONS.get(line.get("return_reason_definition_id") or -1)
    return definition[2] if definition else "UNKNOWN"


def definition_of(line: dict) -> dict | None:
    """The ``ReturnReasonDefinition`` of a return line (from its legacy reason when only that was sent)."""
    number = line.get("return_reason_definition_id") or DEFINITION_FOR_REASON.get(
        line.get("return_reason") or ""
    )
    if number not in REASON_DEFINITIONS:
        return None
    handle, name, _reason = REASON_DEFINITIONS[number]
    return {"id": gid("ReturnReasonDefinition", number), "handle": handle, "name": name, "deleted": False}


# --- returnRequest ---------------------------------------------------------------------------------


def check_request(store: Store, data: dict) -> tuple[dict | None, list[dict], list[dict]]:
    """Check a ``ReturnRequestInput``: (order, userErrors, the return lines to create)."""
    order = store.order(gid_number(data.get("orderId"), "Order"))
    if order is None:
        return None, [_error(["input", "orderId"], "Order was not found.", "NOT_FOUND")], []
    items = data.get("returnLineItems") or []
    if not items:
        message = "Return must include at least one line item."
        return order, [_error(["input", "returnLineItems"], message, "INVALID")], []
    errors: list[dict] = []
    lines: list[dict] = []
    taken: dict[int, int] = {}  # units of each fulfillment line item asked for by earlier lines
    for i, item in enumerate(items):
        at = ["input", "returnLineItems", str(i)]
        fli = find_fulfillment_line_item(
            order, gid_number(item.get("fulfillmentLineItemId"), "FulfillmentLineItem")
        )
        quantity = int(item.get("quantity") or 0)
        definition = item.get("returnReasonDefinitionId")
        definition_number = gid_number(definition, "ReturnReasonDefinition") if definition else None
        note = item.get("customerNote")
        if fli is None:
            errors.append(
                _error([*at, "fulfillmentLineItemId"], "Fulfillment Line Item was not found.", "NOT_FOUND")
            )
        elif quantity < 1:
            errors.append(_error([*at, "quantity"], "Quantity must be greater than 0", "GREATER_THAN"))
        elif quantity > returnable_quantity(order, fli) - taken.get(fli["id"], 0):
            errors.append(_error([*at, "quantity"], "Return line item has an invalid quantity.", "INVALID"))
        elif not item.get("returnReason") and not definition:
            errors.append(_error([*at, "returnReason"], "Return reason can't be blank", "BLANK"))
        elif definition and definition_number not in REASON_DEFINITIONS:
            errors.append(
                _error(
                    [*at, "returnReasonDefinitionId"], "Return reason definition was not found.", "NOT_FOUND"
                )
            )
        elif note is not None and len(note) > MAX_CUSTOMER_NOTE:
            errors.append(
                _error(
                    [*at, "customerNote"],
                    f"Customer note is too long (maximum is {MAX_CUSTOMER_NOTE} characters)",
                    "TOO_LONG",
                )
            )
        else:
            taken[fli["id"]] = taken.get(fli["id"], 0) + quantity
            lines.append(
                {
                    "fulfillment_line_item_id": fli["id"],
                    "line_item_id": fli["line_item_id"],
                    "quantity": quantity,
                    "return_reason": item.get("returnReason"),
                    "return_reason_definition_id": definition_number,
                    "customer_note": note,
                }
            )
    return order, errors, lines


def request(store: Store, order: dict, lines: list[dict]) -> dict:
    """Record a checked request as a REQUESTED return."""
    now = clock.now()
    returns = order.setdefault("returns", [])
    record: dict[str, Any] = {
        "id": store.new_id("Return"),
        "name": f"{order['name']}-R{len(returns) + 1}",
        "status": "REQUESTED",
        "created_at": now,
        "updated_at": now,
        "request_approved_at": None,
        "closed_at": None,
        "decline": None,
        "line_items": [{"id": store.new_id("ReturnLineItem"), **line} for line in lines],
    }
    returns.append(record)
    store.state.return_index[record["id"]] = order["id"]
    _changed(store, order, record, "returns/request", now)
    return record


# --- returnApproveRequest / returnDeclineRequest ---------------------------------------------------


def find(store: Store, return_gid: object) -> tuple[dict, dict] | tuple[None, None]:
    number = gid_number(return_gid, "Return")
    return store.return_record(number) if number is not None else (None, None)


def check_approve(store: Store, data: dict) -> tuple[dict | None, dict | None, list[dict]]:
    order, record = find(store, data.get("id"))
    if order is None or record is None:
        return None, None, [_error(["input", "id"], RETURN_NOT_FOUND, "NOT_FOUND")]
    if record["status"] != "REQUESTED":
        return order, record, [_error(["input", "id"], NOT_APPROVABLE, "INVALID_STATE")]
    return order, record, []


def approve(store: Store, order: dict, record: dict) -> None:
    now = clock.now()
    record["status"] = "OPEN"
    record["request_approved_at"] = now
    _changed(store, order, record, "returns/approve", now)


def check_decline(store: Store, data: dict) -> tuple[dict | None, dict | None, list[dict]]:
    order, record = find(store, data.get("id"))
    if order is None or record is None:
        return None, None, [_error(["input", "id"], RETURN_NOT_FOUND, "NOT_FOUND")]
    if record["status"] == "DECLINED":
        return order, record, [_error(["input", "id"], ALREADY_DECLINED, "INVALID_STATE")]
    if record["status"] != "REQUESTED":
        return order, record, [_error(["input", "id"], NOT_DECLINABLE, "INVALID_STATE")]
    note = data.get("declineNote")
    if note is not None and len(note) > MAX_DECLINE_NOTE:
        message = f"Decline note is too long (maximum is {MAX_DECLINE_NOTE} characters)"
        return order, record, [_error(["input", "declineNote"], message, "TOO_LONG")]
    return order, record, []


def decline(store: Store, order: dict, record: dict, *, reason: str, note: str | None) -> None:
    now = clock.now()
    record["status"] = "DECLINED"
    record["decline"] = {"reason": reason, "note": note}
    _changed(store, order, record, "returns/decline", now)


def decide(store: Store, return_id: int, action: str, fields: dict) -> tuple[int, dict]:
    """A merchant approving or declining a requested return in Shopify's admin (the control API): ``action``
    "approve", or "decline" with ``fields`` ``{"reason": "final_sale" | "return_period_ended" | "other",
    "note": …}`` (OTHER and no note by default). (status, the return as `control_json` shows it, or
    ``{"error": Shopify's message}``): 404 for an unknown return, 409 for one that is not REQUESTED, 400 for
    a bad reason or note."""
    data: dict[str, Any] = {"id": gid("Return", return_id)}
    if action == "decline":
        reason = str(fields.get("reason") or "other").upper()
        if reason not in DECLINE_REASONS:
            return 400, {"error": f"reason must be one of {', '.join(r.lower() for r in DECLINE_REASONS)}"}
        data |= {"declineReason": reason, "declineNote": fields.get("note")}
        order, record, errors = check_decline(store, data)
    else:
        order, record, errors = check_approve(store, data)
    if errors or order is None or record is None:
        error = errors[0] if errors else {"code": "NOT_FOUND", "message": RETURN_NOT_FOUND}
        status = {"NOT_FOUND": 404, "INVALID_STATE": 409}.get(error["code"], 400)
        return status, {"error": error["message"]}
    if action == "decline":
        decline(store, order, record, reason=data["declineReason"], note=data["declineNote"])
    else:
        approve(store, order, record)
    return 200, control_json(record, store.zone)


def _changed(store: Store, order: dict, record: dict, topic: str, at: float) -> None:
    record["updated_at"] = at
    body = rest_decline(record) if topic == "returns/decline" else rest_return(order, record)
    store.publish(topic, body, subscribers_only=True)
    actions.touch(order, at)
    actions.publish_order(store, order, "orders/updated")


# --- REST shapes (webhooks and the control API) ----------------------------------------------------


def rest_return(order: dict, record: dict) -> dict:
    """A return as the returns/request and returns/approve webhooks carry it."""
    return {
        "id": record["id"],
        "admin_graphql_api_id": gid("Return", record["id"]),
        "status": record["status"].lower(),
        "order": {"id": order["id"], "admin_graphql_api_id": gid("Order", order["id"])},
        "name": record["name"],
        "total_return_line_items": len(record["line_items"]),
        "return_line_items": [
            {
                "id": rli["id"],
                "admin_graphql_api_id": gid("ReturnLineItem", rli["id"]),
                "fulfillment_line_item": {
                    "id": rli["fulfillment_line_item_id"],
                    "admin_graphql_api_id": gid("FulfillmentLineItem", rli["fulfillment_line_item_id"]),
                    "line_item": {
                        "id": rli["line_item_id"],
                        "admin_graphql_api_id": gid("LineItem", rli["line_item_id"]),
                    },
                },
                "quantity": rli["quantity"],
                "return_reason": reason_of(rli).lower(),
                "return_reason_note": "",
                "customer_note": rli.get("customer_note"),
            }
            for rli in record["line_items"]
        ],
        "exchange_line_items": [],
        "total_exchange_line_items": 0,
        "return_shipping_fees": [],
    }


def rest_decline(record: dict) -> dict:
    decline = record["decline"] or {}
    return {
        "id": record["id"],
        "admin_graphql_api_id": gid("Return", record["id"]),
        "status": record["status"].lower(),
        "decline": {"reason": str(decline.get("reason", "")).lower(), "note": decline.get("note")},
    }


def control_json(record: dict, zone) -> dict:
    """A return in ``GET /_devstore/orders/<id>``: what tests check."""
    decline = record.get("decline")
    return {
        "id": record["id"],
        "admin_graphql_api_id": gid("Return", record["id"]),
        "name": record["name"],
        "status": record["status"].lower(),
        "created_at": clock.iso_local(record["created_at"], zone),
        "line_items": [
            {
                "id": rli["id"],
                "fulfillment_line_item_id": rli["fulfillment_line_item_id"],
                "line_item_id": rli["line_item_id"],
                "quantity": rli["quantity"],
                "return_reason": reason_of(rli).lower(),
                "customer_note": rli.get("customer_note"),
            }
            for rli in record["line_items"]
        ],
        "decline": {"reason": decline["reason"].lower(), "note": decline.get("note")} if decline else None,
    }
