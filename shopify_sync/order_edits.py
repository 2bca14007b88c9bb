"""Order edits as Shopify prices them: the shopper's changes, and the calculated order Shopify returns.

The portal never adds up an edited order itself. `ShopifyClient.order_edit_preview` begins an edit, stages
the changes and reads Shopify's calculated order (subtotal, shipping, taxes, total, and the outstanding
amount: positive when the shopper would owe more, negative when the store owes a refund). A preview is
never committed; Shopify drops an uncommitted edit by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shopify_sync import graphql_results
from shopify_sync.types import Money


@dataclass(frozen=True, slots=True)
class LineChange:
    """What the shopper asks of one line: a new quantity (0 removes it), or the same quantity of another
    variant of the product (`swap_to`)."""

    line_item_gid: str
    quantity: int
    swap_to: str | None = None  # a ProductVariant gid
    restock: bool = True


@dataclass(frozen=True, slots=True)
class Amount:
    """A MoneyBag: the shop's currency and the one the shopper paid in."""

    shop: Money
    presentment: Money

    @classmethod
    def from_bag(cls, bag: dict | None) -> Amount:
        bag = bag or {}
        return cls(
            graphql_results.money(bag.get("shopMoney")), graphql_results.money(bag.get("presentmentMoney"))
        )

    def __add__(self, other: Amount) -> Amount:
        return Amount(
            Money(self.shop.amount + other.shop.amount, self.shop.currency or other.shop.currency),
            Money(
                self.presentment.amount + other.presentment.amount,
                self.presentment.currency or other.presentment.currency,
            ),
        )


ZERO = Amount(Money(Decimal("0"), ""), Money(Decimal("0"), ""))


@dataclass(frozen=True, slots=True)
class CalculatedLine:
    gid: str  # the CalculatedLineItem: what orderEditSetQuantity names
    number: str  # shared with the order's LineItem gid
    title: str
    variant_title: str
    sku: str
    quantity: int
    editable_quantity: int
    restockable: bool
    unit_price: Amount
    subtotal: Amount
    variant_gid: str | None


@dataclass(frozen=True, slots=True)
class EditPreview:
    calculated_order_gid: str
    lines: tuple[CalculatedLine, ...]
    subtotal: Amount
    shipping: Amount
    taxes: Amount
    total: Amount
    outstanding: Amount  # > 0: the shopper owes this; < 0: the store refunds it

    def line_for(self, line_item_gid: str) -> CalculatedLine | None:
        number = line_item_gid.rsplit("/", 1)[-1]
        return next((line for line in self.lines if line.number == number), None)


def edit_preview(node: dict) -> EditPreview:
    """A `CalculatedOrderPreview` fragment as typed figures."""
    lines = tuple(
        CalculatedLine(
            gid=line["id"],
            number=line["id"].rsplit("/", 1)[-1],
            title=line.get("title") or "",
            variant_title=line.get("variantTitle") or "",
            sku=line.get("sku") or "",
            quantity=int(line.get("quantity") or 0),
            editable_quantity=int(line.get("editableQuantity") or 0),
            restockable=bool(line.get("restockable")),
            unit_price=Amount.from_bag(
                line.get("discountedUnitPriceSet") or line.get("originalUnitPriceSet")
            ),
            subtotal=Amount.from_bag(line.get("editableSubtotalSet")),
            variant_gid=(line.get("variant") or {}).get("id"),
        )
        for line in (node.get("lineItems") or {}).get("nodes") or []
    )
    shipping = ZERO
    for shipping_line in node.get("shippingLines") or []:
        if shipping_line.get("stagedStatus") != "REMOVED":
            shipping = shipping + Amount.from_bag(shipping_line.get("price"))
    taxes = ZERO
    for tax in node.get("taxLines") or []:
        taxes = taxes + Amount.from_bag(tax.get("priceSet"))
    return EditPreview(
        calculated_order_gid=node["id"],
        lines=lines,
        subtotal=Amount.from_bag(node.get("subtotalPriceSet")),
        shipping=shipping,
        taxes=taxes,
        total=Amount.from_bag(node.get("totalPriceSet")),
        outstanding=Amount.from_bag(node.get("totalOutstandingSet")),
    )


@dataclass(frozen=True, slots=True)
class VariantOption:
    """Another variant of a line's product, as a swap choice."""

    gid: str
    title: str
    sku: str
    price: Decimal
    available: bool
    inventory: int | None
    options: tuple[tuple[str, str], ...]


def variant_options(product: dict | None) -> list[VariantOption]:
    return [
        VariantOption(
            gid=variant["id"],
            title=variant.get("title") or "",
            sku=variant.get("sku") or "",
            price=Decimal(str(variant.get("price") or "0")),
            available=bool(variant.get("availableForSale")),
            inventory=variant.get("inventoryQuantity"),
            options=tuple((o["name"], o["value"]) for o in variant.get("selectedOptions") or []),
        )
        for variant in ((product or {}).get("variants") or {}).get("nodes") or []
    ]


@dataclass(frozen=True, slots=True)
class EditableLine:
    """One line of an order as an edit sees it, read live from Shopify."""

    gid: str  # the order's LineItem
    title: str
    variant_title: str
    sku: str
    quantity: int
    current_quantity: int  # after earlier edits and refunds
    unfulfilled_quantity: int  # what an edit may still change
    requires_shipping: bool
    gift_card: bool
    unit_price: Amount
    variant_gid: str | None
    product_gid: str | None
    product_type: str
    product_tags: tuple[str, ...]

    def as_snapshot(self) -> dict[str, object]:
        """What must not have changed between a shopper's preview and the commit."""
        return {
            "gid": self.gid,
            "current_quantity": self.current_quantity,
            "unfulfilled_quantity": self.unfulfilled_quantity,
            "variant_gid": self.variant_gid,
            "unit_price": str(self.unit_price.presentment.amount),
        }


@dataclass(frozen=True, slots=True)
class EditableOrder:
    gid: str
    updated_at: str
    cancelled: bool
    fulfillment_status: str  # lower-case OrderDisplayFulfillmentStatus
    lines: tuple[EditableLine, ...]

    def line(self, line_item_gid: str) -> EditableLine | None:
        return next((line for line in self.lines if line.gid == line_item_gid), None)


def editable_order(node: dict) -> EditableOrder:
    """An `OrderForEdit` answer as typed lines."""
    lines = []
    for line in (node.get("lineItems") or {}).get("nodes") or []:
        product = line.get("product") or {}
        lines.append(
            EditableLine(
                gid=line["id"],
                title=line.get("title") or "",
                variant_title=line.get("variantTitle") or "",
                sku=line.get("sku") or "",
                quantity=int(line.get("quantity") or 0),
                current_quantity=int(line.get("currentQuantity") or 0),
                unfulfilled_quantity=int(line.get("unfulfilledQuantity") or 0),
                requires_shipping=bool(line.get("requiresShipping")),
                gift_card=bool(line.get("isGiftCard")),
                unit_price=Amount.from_bag(line.get("originalUnitPriceSet")),
                variant_gid=(line.get("variant") or {}).get("id"),
                product_gid=product.get("id"),
                product_type=product.get("productType") or "",
                product_tags=tuple(product.get("tags") or ()),
            )
        )
    return EditableOrder(
        gid=node["id"],
        updated_at=node.get("updatedAt") or "",
        cancelled=node.get("cancelledAt") is not None,
        fulfillment_status=(node.get("displayFulfillmentStatus") or "").lower(),
        lines=tuple(lines),
    )


class PriceChanged(Exception):
    """Shopify prices the edit differently from the preview the shopper agreed to: not committed."""

    def __init__(self, *, expected: Decimal, found: Decimal) -> None:
        super().__init__(f"Shopify now prices the edit at {found} outstanding, not {expected}")
        self.expected = expected
        self.found = found


class EditStale(Exception):
    """The order moved between the preview (or the staging) and the commit: not committed."""
