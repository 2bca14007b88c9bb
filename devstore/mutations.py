"""Write side of the GraphQL API. Each mutation validates like Shopify (messages, fields and codes copied
from the recordings named in the comments), then calls a state transition in actions.py. The order-edit
mutations are in order_edit_mutations.py, giftCardCreate in gift_card_mutations.py, the return mutations in
return_mutations.py.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from . import actions, bulk, clock, geo, orders, payments
from .gift_card_mutations import GiftCardMutations
from .ids import gid, gid_number
from .money import rest_amount, to_decimal
from .order_edit_mutations import OrderEditMutations
from .resolvers import (
    BulkOperationNode,
    FulfillmentOrderNode,
    JobNode,
    OrderNode,
    RefundNode,
    WebhookSubscriptionNode,
    ctx,
    hold_dict,
    invalid_id,
)
from .resolvers import record_user_errors as _record
from .return_mutations import ReturnMutations

STAFF_NOTE_MAX = 255
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{5,19}$")
HOLD_LIMIT = 10
TOPIC_PREFIXES = ("BULK_OPERATIONS_", "FULFILLMENT_ORDERS_", "FULFILLMENT_HOLDS_", "ORDER_TRANSACTIONS_")


def topic_name(enum_value: str) -> str:
    """ORDERS_PARTIALLY_FULFILLED -> orders/partially_fulfilled (the X-Shopify-Topic form)."""
    for prefix in TOPIC_PREFIXES:
        if enum_value.startswith(prefix):
            return prefix.rstrip("_").lower() + "/" + enum_value[len(prefix) :].lower()
    resource, _, event = enum_value.partition("_")
    return f"{resource.lower()}/{event.lower()}"


IDEMPOTENCY_KEY_MISMATCH = "The same idempotency key cannot be used with different operation parameters."


def _idempotency_key(info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values) or {}
    return values.get("key") or None


def _replay_refund(c, info, earlier: dict, fingerprint: str) -> dict:
    """A retried refundCreate: the original refund, or (another input under the same key) an error."""
    order = c.store.order(earlier["order_id"])
    if earlier["fingerprint"] != fingerprint:
        # Shopify's wording for IDEMPOTENCY_KEY_PARAMETER_MISMATCH (schema enums); no recording has
        # refundCreate's own answer, so it comes back as the payload's user error.
        errors = [{"field": None, "message": IDEMPOTENCY_KEY_MISMATCH}]
        _record(info, errors)
        return {"refund": None, "order": OrderNode(c, order), "userErrors": errors}
    record = next(r for r in order["refunds"] if r["id"] == earlier["refund_id"])
    _record(info, [])
    return {"refund": RefundNode(order, record), "order": OrderNode(c, order), "userErrors": []}


def over_refund_message(order: dict, parent: dict, left: Decimal) -> str:
    """refundCreate's answer to a refund transaction above what its parent still holds. Guessed: no
    recording shows Shopify refusing it; worded like the devstore's order-wide message before, naming the
    parent since a refund can now go to several."""
    amount = rest_amount(left, order["currency"])
    return (
        f"Refund amount can't exceed the refundable amount of {amount} "
        f"for transaction {gid('OrderTransaction', parent['id'])}"
    )


def _plain(errors: list[dict]) -> list[dict]:
    return [{"field": e["field"], "message": e["message"]} for e in errors]


class Mutation(OrderEditMutations, GiftCardMutations, ReturnMutations):
    # --- orderCancel ---------------------------------------------------------------------------------

    def orderCancel(
        self,
        info,
        orderId,
        restock,
        reason,
        refund=None,
        refundMethod=None,
        notifyCustomer=None,
        staffNote=None,
    ) -> dict:
        c = ctx(info)
        errors: list[dict] = []
        order = c.store.order(gid_number(orderId, "Order"))
        # Messages, fields and codes: orderCancel-error-messages.json.
        if order is None:
            errors.append({"field": ["orderId"], "message": "Order does not exist", "code": "NOT_FOUND"})
        elif staffNote is not None and len(staffNote) > STAFF_NOTE_MAX:
            errors.append(
                {
                    "field": ["staffNote"],
                    "message": f"Staff note is too long. Maximum length is {STAFF_NOTE_MAX} characters.",
                    "code": "INVALID",
                }
            )
        elif refund is not None and refundMethod is not None:
            errors.append(
                {
                    "field": ["refund"],
                    "message": "Only one of the arguments `refund` or `refund_method` is allowed.",
                    "code": "INVALID",
                }
            )
        elif order["cancelled_at"] is not None or order.get("cancel_pending"):
            errors.append(
                {
                    "field": ["orderId"],
                    "message": "Cannot cancel an order that has already been canceled",
                    "code": "INVALID",
                }
            )
        elif any(li["fulfilled_quantity"] > 0 for li in order["line_items"]):
            errors.append(
                {
                    "field": ["orderId"],
                    "message": "Cannot cancel an order with fulfilled line items",
                    "code": "INVALID",
                }
            )
        _record(info, errors)
        if errors:
            return {"job": None, "orderCancelUserErrors": errors, "userErrors": _plain(errors)}
        assert order is not None  # refused above
        params = {
            "reason": reason,
            "refund": refund,
            "refund_method": refundMethod,
            "restock": restock,
            "notify_customer": bool(notifyCustomer),
            "staff_note": staffNote,
        }
        job = actions.request_cancel(c.store, order, params, c.app.config.job_delay)
        return {"job": JobNode(job), "orderCancelUserErrors": [], "userErrors": []}

    # --- orderUpdate ---------------------------------------------------------------------------------

    def orderUpdate(self, info, input: dict) -> dict:
        c = ctx(info)
        order = c.store.order(gid_number(input.get("id"), "Order"))
        errors: list[dict[str, Any]] = []
        if order is None:
            errors.append({"field": ["id"], "message": "Order does not exist"})
            _record(info, errors)
            return {"order": None, "userErrors": errors}
        changes = {k: v for k, v in input.items() if k != "id"}
        # orderUpdate-input-validation.json: an input with only the id is refused with field null.
        if not changes:
            errors.append({"field": None, "message": "No valid update parameters have been provided"})
        if changes.get("phone") is not None and not PHONE.match(str(changes["phone"])):
            errors.append({"field": ["phone"], "message": "Phone is invalid"})
        if "shippingAddress" in changes and changes["shippingAddress"] is not None:
            merged = orders.address_as_input(order.get("shipping_address")) | changes["shippingAddress"]
            errors += [{"field": f, "message": m} for f, m in geo.validate_address(merged)]
        _record(info, errors)
        if errors:
            return {"order": OrderNode(c, order), "userErrors": errors}
        if "email" in changes:
            order["email"] = changes["email"]
        if "phone" in changes:
            order["phone"] = changes["phone"]
        if "note" in changes:
            order["note"] = changes["note"]
        if "tags" in changes:
            order["tags"] = sorted({t.strip() for t in changes["tags"] or [] if t.strip()})
        if "shippingAddress" in changes:
            address = changes["shippingAddress"]
            order["shipping_address"] = (
                orders.address_from_input(order.get("shipping_address"), address)
                if address is not None
                else None
            )
        actions.touch(order)
        actions.publish_order(c.store, order, "orders/updated")
        return {"order": OrderNode(c, order), "userErrors": []}

    # --- orderClose / orderOpen ----------------------------------------------------------------------
    # orderClose-parity.json: the order comes back closed with closedAt set. Closing a closed order (and
    # opening an open one) is a success that changes nothing: actions.close_order says where that is from.

    def _close_or_open(self, info, input: dict, change) -> dict:
        c = ctx(info)
        order = c.store.order(gid_number(input.get("id"), "Order"))
        if order is None:
            # Guessed (no recording shows it): worded as the devstore's orderUpdate answers an unknown order.
            # OrderClosePayload's UserError has no code.
            errors: list[dict[str, Any]] = [{"field": ["id"], "message": "Order does not exist"}]
            _record(info, errors)
            return {"order": None, "userErrors": errors}
        change(c.store, order)
        _record(info, [])
        return {"order": OrderNode(c, order), "userErrors": []}

    def orderClose(self, info, input: dict) -> dict:
        return self._close_or_open(info, input, actions.close_order)

    def orderOpen(self, info, input: dict) -> dict:
        return self._close_or_open(info, input, actions.open_order)

    # --- refundCreate --------------------------------------------------------------------------------

    def refundCreate(self, info, input: dict) -> dict:
        c = ctx(info)
        # `@idempotent(key:)` (required on refundCreate since 2026-04): a retry with the same key and the
        # same input gets the original refund back instead of a second one (Shopify's documented
        # behaviour; the same key with another input is refused).
        key = _idempotency_key(info)
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        earlier = c.store.state.idempotency.get(key) if key else None
        if earlier is not None:
            return _replay_refund(c, info, earlier, fingerprint)
        order = c.store.order(gid_number(input.get("orderId"), "Order"))
        errors: list[dict[str, Any]] = []
        if order is None:
            errors.append({"field": ["orderId"], "message": "Order does not exist"})
            _record(info, errors)
            return {"refund": None, "order": None, "userErrors": errors}
        by_tx = {t["id"]: t for t in order["transactions"]}
        planned: list[tuple[Decimal, dict, str]] = []
        # Each refund transaction is checked against what its own parent still holds, less what earlier
        # transactions of this input already take from it (payments.refundable).
        taken: dict[int, Decimal] = {}
        for tx in input.get("transactions") or []:
            kind = tx["kind"]
            # refund-create-transactions-validation.json: a non-REFUND kind has field null.
            if kind != "REFUND":
                errors.append({"field": None, "message": f"Kind {kind.lower()} is not a valid transaction"})
                continue
            parent = by_tx.get(gid_number(tx.get("parentId"), "OrderTransaction") or -1)
            if tx.get("parentId") is None:
                parent = next(iter(payments.captures(order)), None)
            if parent is None:
                errors.append(
                    {
                        "field": ["transactions"],
                        "message": "Transactions require a parent_id associated with the order",
                    }
                )
                continue
            amount = to_decimal(tx["amount"])
            if amount is None or amount <= 0:
                errors.append(
                    {"field": ["transactions", "amount"], "message": "Amount must be greater than 0"}
                )
                continue
            left = payments.refundable(order, parent) - taken.get(parent["id"], Decimal(0))
            if amount > left:
                errors.append(
                    {"field": ["transactions"], "message": over_refund_message(order, parent, left)}
                )
                continue
            taken[parent["id"]] = taken.get(parent["id"], Decimal(0)) + amount
            # The refund's gateway is the parent's, whatever the input says (the mismatchedGateway case).
            planned.append((amount, parent, parent["gateway"]))
        by_line = {li["id"]: li for li in order["line_items"]}
        lines: list[tuple[dict, int]] = []
        for i, rli in enumerate(input.get("refundLineItems") or []):
            line = by_line.get(gid_number(rli["lineItemId"], "LineItem") or -1)
            if line is None:
                errors.append(
                    {
                        "field": ["refundLineItems", str(i), "lineItemId"],
                        "message": "Line item does not exist",
                    }
                )
            elif rli["quantity"] < 1 or rli["quantity"] > line["current_quantity"]:
                errors.append(
                    {
                        "field": ["refundLineItems", str(i), "quantity"],
                        "message": "Quantity cannot refund more items than were purchased "
                        f"({line['current_quantity']})",
                    }
                )
            else:
                lines.append((line, rli["quantity"]))
        _record(info, errors)
        if errors:
            return {"refund": None, "order": OrderNode(c, order), "userErrors": errors}
        record = actions.refund(
            c.store,
            order,
            transactions=planned,
            lines=lines,
            note=input.get("note"),
            notify=bool(input.get("notify")),
        )
        if key:
            c.store.state.idempotency[key] = {
                "fingerprint": fingerprint,
                "order_id": order["id"],
                "refund_id": record["id"],
            }
        return {"refund": RefundNode(order, record), "order": OrderNode(c, order), "userErrors": []}

    # --- fulfillment holds ---------------------------------------------------------------------------
    # Messages and codes from fulfillment-order-hold-validation.json; unknown ids from
    # fulfillment-order-lifecycle.json (top-level RESOURCE_NOT_FOUND, data null).

    def fulfillmentOrderHold(self, info, id: str, fulfillmentHold: dict) -> dict:
        c = ctx(info)
        order, fo = c.store.fulfillment_order(gid_number(id, "FulfillmentOrder") or -1)
        if order is None or fo is None or fo["status"] in ("CLOSED", "CANCELLED"):
            raise (
                invalid_id(id)
                if order is None or fo is None
                else GraphQLError(
                    "The fulfillment order can't be put on hold.", extensions={"code": "BAD_REQUEST"}
                )
            )
        errors: list[dict] = []
        params = fulfillmentHold
        handle = params.get("handle")
        line_inputs = params.get("fulfillmentOrderLineItems") or []
        partial: dict[int, int] | None = None
        # Check order as Shopify shows it: line-item shape first (zeroQuantity and duplicateLineItems are
        # reported even once the hold limit is reached), then the handle, the limit, and splittability.
        ids = [gid_number(li["id"], "FulfillmentOrderLineItem") or -1 for li in line_inputs]
        zero = next((i for i, li in enumerate(line_inputs) if li["quantity"] <= 0), None)
        if zero is not None:
            errors.append(
                {
                    "field": ["fulfillmentHold", "fulfillmentOrderLineItems", str(zero), "quantity"],
                    "message": "You must select at least one item to place on partial hold.",
                    "code": "GREATER_THAN_ZERO",
                }
            )
        elif len(set(ids)) != len(ids):
            errors.append(
                {
                    "field": ["fulfillmentHold", "fulfillmentOrderLineItems"],
                    "message": "must contain unique line item ids",
                    "code": "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS",
                }
            )
        elif handle and any(h.get("handle") == handle for h in fo["holds"]):
            errors.append(
                {
                    "field": ["fulfillmentHold", "handle"],
                    "message": "The handle provided for the fulfillment hold is already in use by this app "
                    "for another hold on this fulfillment order.",
                    "code": "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
                }
            )
        elif len(fo["holds"]) >= HOLD_LIMIT:
            errors.append(
                {
                    "field": ["id"],
                    "message": "The maximum number of fulfillment holds for this fulfillment order has "
                    "been reached for this app. An app can only have up to 10 holds on a single fulfillment "
                    "order at any one time.",
                    "code": "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
                }
            )
        elif line_inputs:
            remaining = {fli["id"]: fli["remaining"] for fli in fo["line_items"]}
            requested = dict(zip(ids, (li["quantity"] for li in line_inputs), strict=True))
            bad = next(
                (i for i, n in enumerate(ids) if n not in remaining or requested[n] > remaining[n]), None
            )
            if bad is not None:
                errors.append(
                    {
                        "field": ["fulfillmentHold", "fulfillmentOrderLineItems", str(bad), "quantity"],
                        "message": "The line item quantity is invalid.",
                        "code": "INVALID_LINE_ITEM_QUANTITY",
                    }
                )
            elif requested != {k: v for k, v in remaining.items() if v > 0}:
                if fo["status"] == "ON_HOLD":
                    errors.append(
                        {
                            "field": ["fulfillmentHold", "fulfillmentOrderLineItems"],
                            "message": "The fulfillment order is not in a splittable state.",
                            "code": "FULFILLMENT_ORDER_NOT_SPLITTABLE",
                        }
                    )
                else:
                    partial = requested
        _record(info, errors)
        if errors:
            return {
                "fulfillmentHold": None,
                "fulfillmentOrder": None,
                "remainingFulfillmentOrder": None,
                "userErrors": errors,
            }
        record, remaining_fo = actions.hold(c.store, order, fo, params, partial)
        return {
            "fulfillmentHold": hold_dict(record),
            "fulfillmentOrder": FulfillmentOrderNode(c, order, fo),
            "remainingFulfillmentOrder": FulfillmentOrderNode(c, order, remaining_fo)
            if remaining_fo
            else None,
            "userErrors": [],
        }

    def fulfillmentOrderReleaseHold(self, info, id: str, holdIds=None, externalId=None) -> dict:
        c = ctx(info)
        order, fo = c.store.fulfillment_order(gid_number(id, "FulfillmentOrder") or -1)
        if order is None or fo is None:
            raise invalid_id(id)
        errors: list[dict[str, Any]] = []
        wanted: set[int] | None = None
        if holdIds:
            wanted = {gid_number(h, "FulfillmentHold") or -1 for h in holdIds}
            known = {h["id"] for h in fo["holds"]}
            if not wanted <= known:
                errors.append(
                    {
                        "field": ["holdIds"],
                        "message": "The fulfillment hold does not exist.",
                        "code": "INVALID_ACCESS",
                    }
                )
        elif fo["status"] != "ON_HOLD":
            errors.append(
                {
                    "field": ["id"],
                    "message": "The fulfillment order is not on hold.",
                    "code": "FAILED_TO_RELEASE_HOLD",
                }
            )
        _record(info, errors)
        if errors:
            return {"fulfillmentOrder": FulfillmentOrderNode(c, order, fo), "userErrors": errors}
        actions.release_hold(c.store, order, fo, wanted)
        return {"fulfillmentOrder": FulfillmentOrderNode(c, order, fo), "userErrors": []}

    # --- webhooks ------------------------------------------------------------------------------------

    def webhookSubscriptionCreate(self, info, topic: str, webhookSubscription: dict) -> dict:
        c = ctx(info)
        uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        errors = []
        if not uri:
            errors.append(
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address can't be blank"}
            )
        elif not re.match(r"^https?://", uri):
            errors.append({"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"})
        elif any(s["topic"] == topic and s["uri"] == uri for s in c.store.state.subscriptions.values()):
            errors.append(
                {
                    "field": ["webhookSubscription", "callbackUrl"],
                    "message": "Address for this topic has already been taken",
                }
            )
        _record(info, errors)
        if errors:
            return {"webhookSubscription": None, "userErrors": errors}
        sub: dict[str, Any] = {
            "id": c.store.new_id("WebhookSubscription"),
            "topic": topic,
            "topic_name": topic_name(topic),
            "uri": uri,
            "format": webhookSubscription.get("format") or "JSON",
            "include_fields": webhookSubscription.get("includeFields") or [],
            "created_at": clock.now(),
        }
        c.store.state.subscriptions[sub["id"]] = sub
        return {"webhookSubscription": WebhookSubscriptionNode(sub), "userErrors": []}

    # --- bulk operations -----------------------------------------------------------------------------

    def bulkOperationRunQuery(self, info, query: str, groupObjects: bool = False) -> dict:
        c = ctx(info)
        op, errors = bulk.start(c.app, query)
        _record(info, errors)
        return {"bulkOperation": BulkOperationNode(op) if op else None, "userErrors": errors}
