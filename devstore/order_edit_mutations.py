"""The order-edit mutations: orderEditBegin, orderEditSetQuantity, orderEditAddVariant, orderEditCommit.

Messages and fields are Shopify's where a recording shows them: order-edit-lifecycle-user-errors.json
(unknown order, calculated order, line or variant; an order that cannot be edited),
orderEdit-quantity-validation.json (a negative quantity to set; a zero or negative quantity to add, where a
negative one gets both messages) and order-edit-existing-order-happy-path.json. Where no recording shows
the answer, the comment says what was guessed.
"""

from __future__ import annotations

from typing import Any

from . import order_edits
from .catalogue import variant_number
from .ids import gid, gid_number
from .order_edit_nodes import CalculatedLineItemNode, CalculatedOrderNode
from .resolvers import OrderNode, ctx
from .resolvers import record_user_errors as _record

NO_CALCULATED_ORDER = {"field": ["id"], "message": "The calculated order does not exist."}
NOT_EDITABLE = {"field": None, "message": "The order cannot be edited."}
# Not recorded: set-quantity's message for the same condition, when a line was fulfilled after staging.
BELOW_FULFILLED = {"field": None, "message": "The quantity can't be lower than the fulfilled quantity."}


def _session_payload(**fields: Any) -> dict:
    return {"calculatedOrder": None, "calculatedLineItem": None, "orderEditSession": None, **fields}


def _edit_session(session: dict) -> dict:
    return {"id": gid("OrderEditSession", session["id"])}


class OrderEditMutations:
    def orderEditBegin(self, info, id: str) -> dict:
        c = ctx(info)
        order = c.store.order(gid_number(id, "Order"))
        errors: list[dict[str, Any]] = []
        if order is None:
            errors.append({"field": ["id"], "message": "The order does not exist."})
        elif not order_edits.editable(order):
            errors.append(NOT_EDITABLE)
        _record(info, errors)
        if errors:
            return {"calculatedOrder": None, "orderEditSession": None, "userErrors": errors}
        assert order is not None  # refused above
        session = order_edits.begin(c.store, order)
        return {
            "calculatedOrder": CalculatedOrderNode(c, session, order),
            "orderEditSession": _edit_session(session),
            "userErrors": [],
        }

    def orderEditSetQuantity(
        self, info, id: str, lineItemId: str, quantity: int, restock=None, locationId=None
    ) -> dict:
        c = ctx(info)
        session, order = order_edits.session_for(c.store, id)
        errors: list[dict[str, Any]] = []
        line = added = None
        if session is None or order is None:
            errors.append(NO_CALCULATED_ORDER)
        elif quantity < 0:
            errors.append({"field": ["quantity"], "message": "must be greater than or equal to 0"})
        else:
            added = order_edits.find_added(session, lineItemId)
            line = None if added else order_edits.find_line(order, lineItemId)
            if line is None and added is None:
                errors.append(
                    {"field": ["lineItemId"], "message": "The line item does not exist on the order."}
                )
            elif line is not None and quantity < line["fulfilled_quantity"]:
                # Not recorded: Shopify only edits unfulfilled quantities.
                errors.append(
                    {
                        "field": ["quantity"],
                        "message": "The quantity can't be lower than the fulfilled quantity.",
                    }
                )
        _record(info, errors)
        if errors:
            return _session_payload(userErrors=errors)
        assert session is not None and order is not None  # refused above
        if added is not None:
            order_edits.stage_added_quantity(session, added, quantity)
            calculated_line = CalculatedLineItemNode(order, session, added, added=True)
        else:
            assert line is not None  # found above
            order_edits.stage_quantity(session, line, quantity, bool(restock))
            calculated_line = CalculatedLineItemNode(order, session, line)
        return {
            "calculatedOrder": CalculatedOrderNode(c, session, order),
            "calculatedLineItem": calculated_line,
            "orderEditSession": _edit_session(session),
            "userErrors": [],
        }

    def orderEditAddVariant(
        self, info, id: str, variantId: str, quantity: int, locationId=None, allowDuplicates=False
    ) -> dict:
        """Checked in this order: the calculated order, the quantity, the variant (the first three as
        recorded; which of quantity and variant Shopify checks first is not recorded). Stock is not checked:
        no recording or schema error code shows Shopify refusing an out-of-stock variant here (the
        payload's errors are plain UserErrors), so a caller checks ``availableForSale`` itself."""
        c = ctx(info)
        session, order = order_edits.session_for(c.store, id)
        errors: list[dict[str, Any]] = []
        product = variant = None
        if session is None or order is None:
            errors.append(NO_CALCULATED_ORDER)
        elif quantity <= 0:
            errors.append({"field": ["quantity"], "message": "must be greater than 0"})
            if quantity < 0:  # orderEdit-quantity-validation.json, addVariantNegative: both messages
                errors.append({"field": ["quantity"], "message": "must be greater than or equal to 0"})
        else:
            product, variant = c.store.variant(variant_number(variantId))
            if product is None or variant is None:
                errors.append({"field": ["variantId"], "message": "The variant does not exist in the shop."})
            elif not allowDuplicates and order_edits.has_variant(order, session, variant["id"]):
                # Guessed wording: no recording shows the answer for a variant already on the order.
                errors.append({"field": ["variantId"], "message": "The variant already exists on the order."})
        _record(info, errors)
        if errors:
            return _session_payload(userErrors=errors)
        assert session is not None and order is not None and product is not None and variant is not None
        added = order_edits.add_variant(c.store, session, order, product, variant, quantity)
        return {
            "calculatedOrder": CalculatedOrderNode(c, session, order),
            "calculatedLineItem": CalculatedLineItemNode(order, session, added, added=True),
            "orderEditSession": _edit_session(session),
            "userErrors": [],
        }

    def orderEditCommit(self, info, id: str, notifyCustomer=None, staffNote=None) -> dict:
        c = ctx(info)
        session, order = order_edits.session_for(c.store, id)
        errors: list[dict[str, Any]] = []
        if session is None or order is None:
            errors.append(NO_CALCULATED_ORDER)
        else:
            try:
                order_edits.commit(
                    c.store, order, session, notify_customer=bool(notifyCustomer), staff_note=staffNote
                )
            except order_edits.EditNotAllowed:
                # Guessed: begin's refusal, for an order cancelled while the edit was open.
                errors.append(NOT_EDITABLE)
            except order_edits.BelowFulfilled:
                errors.append(BELOW_FULFILLED)
        _record(info, errors)
        if errors:
            return {"order": None, "successMessages": None, "userErrors": errors}
        assert order is not None  # refused above
        return {"order": OrderNode(c, order), "successMessages": ["Order updated"], "userErrors": []}
