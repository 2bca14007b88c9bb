"""Read side of order edits: Shopify's ``CalculatedOrder`` and ``CalculatedLineItem`` over a session
(order_edits.py), priced the way the order will be once the edit is committed."""

from __future__ import annotations

from decimal import Decimal

from . import catalogue, orders
from .catalogue_nodes import ProductVariantNode, variant_node
from .ids import gid
from .order_edits import calculated, edited_lines, restocking, staged_quantity
from .pagination import simple_connection
from .resolvers import Context, OrderNode, ctx, money_bag, tax_line_dicts


class CalculatedLineItemNode:
    """A line of the calculated order: one of the order's (``added`` None) or one this edit added."""

    def __init__(self, order: dict, session: dict, line: dict, *, added: bool = False) -> None:
        self._o, self._s, self._l, self._added = order, session, line, added
        self.id = gid("CalculatedLineItem", line["uuid"] if added else line["id"])
        self.title = line["title"]
        self.variantTitle = line.get("variant_title")
        self.sku = line.get("sku")
        self.hasStagedLineItemDiscount = False
        if added:
            self.quantity = self.editableQuantity = line["quantity"]
            self.editableQuantityBeforeChanges = fulfilled = 0
        else:
            fulfilled = line["fulfilled_quantity"]
            self.quantity = staged_quantity(session, line)
            self.editableQuantity = max(self.quantity - fulfilled, 0)
            self.editableQuantityBeforeChanges = max(line["current_quantity"] - fulfilled, 0)
        self._fulfilled = fulfilled

    def _unit(self) -> Decimal:
        return orders.dec(self._l["price"])

    @property
    def originalUnitPriceSet(self) -> dict:
        return money_bag(self._o, self._unit())

    @property
    def discountedUnitPriceSet(self) -> dict:
        return money_bag(self._o, self._unit())  # the devstore has no discounts

    @property
    def editableSubtotalSet(self) -> dict:
        return money_bag(self._o, self._unit() * self.editableQuantity)

    @property
    def uneditableSubtotalSet(self) -> dict:
        return money_bag(self._o, self._unit() * self._fulfilled)

    @property
    def image(self) -> dict | None:
        url = self._l.get("image_url")
        return {"id": None, "url": url, "altText": self.title} if url else None

    def restockable(self, info) -> bool:
        """Whether taking units off would put them back in stock: a tracked variant's unfulfilled units."""
        if self._added or self.editableQuantityBeforeChanges == 0:
            return False
        _product, variant = ctx(info).store.variant(self._l.get("variant_id"))
        return variant is not None and catalogue.is_tracked(variant)

    @property
    def restocking(self) -> bool:
        return not self._added and restocking(self._s, self._l)

    def variant(self, info) -> ProductVariantNode | None:
        return variant_node(ctx(info).store, self._l.get("variant_id"))


class CalculatedOrderNode:
    graphql_type = "CalculatedOrder"

    def __init__(self, c: Context, session: dict, order: dict) -> None:
        self._c, self._s, self._o = c, session, order
        self.id = gid("CalculatedOrder", session["id"])
        self._calc = calculated(order, session)

    @property
    def originalOrder(self) -> OrderNode:
        return OrderNode(self._c, self._o)

    def lineItems(self, info, query=None, **page) -> dict:
        """The order's lines with the edit's quantities; added lines are in ``addedLineItems`` only
        (order-edit-existing-order-happy-path.json)."""
        return simple_connection(
            edited_lines(self._o, self._s), lambda li: CalculatedLineItemNode(self._o, self._s, li), **page
        )

    def addedLineItems(self, info, **page) -> dict:
        return simple_connection(
            self._s.get("added", []),
            lambda a: CalculatedLineItemNode(self._o, self._s, a, added=True),
            **page,
        )

    @property
    def subtotalLineItemsQuantity(self) -> int:
        return sum(li["current_quantity"] for li in self._calc["line_items"])

    @property
    def subtotalPriceSet(self) -> dict:
        return money_bag(self._o, orders.subtotal(self._calc, current=True))

    @property
    def cartDiscountAmountSet(self) -> dict:
        return money_bag(self._o, Decimal(0))

    @property
    def shippingLines(self) -> list[dict]:
        """The order's shipping, which an edit of its items leaves as it is."""
        amount = orders.shipping(self._o)
        if amount <= 0:
            return []
        return [
            {
                "id": gid("CalculatedShippingLine", self._o["id"]),
                "title": self._o.get("shipping_title") or "Standard Shipping",
                "price": money_bag(self._o, amount),
                "stagedStatus": "NONE",
            }
        ]

    @property
    def taxLines(self) -> list[dict]:
        return tax_line_dicts(self._o, orders.tax_lines(self._calc, current=True))

    @property
    def totalPriceSet(self) -> dict:
        return money_bag(self._o, orders.total(self._calc, current=True))

    @property
    def totalOutstandingSet(self) -> dict:
        """The edited total less what was paid: positive, the shopper owes it; negative, the store owes a
        refund."""
        return money_bag(self._o, orders.outstanding(self._calc))
