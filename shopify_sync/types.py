"""Small typed objects for what Shopify tells us about orders.

Both of Shopify's shapes end up here: GraphQL answers (the client, incremental and bulk sync) and the
REST-shaped JSON of webhooks. Everything downstream (upserts, policy, pages) reads these, never raw dicts.
Statuses use Shopify's GraphQL enum names in lower case (`paid`, `partially_fulfilled`), whatever the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# The shipping address has its own module (its shapes, what "the same address" means); here for readers
# of the other types.
from shopify_sync.addresses import MailingAddress

__all__ = [
    "CustomerData",
    "FulfillmentHoldData",
    "FulfillmentOrderData",
    "LineItemData",
    "MailingAddress",
    "Money",
    "OrderData",
    "ShopData",
]


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CustomerData:
    gid: str
    legacy_id: int
    email: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True, slots=True)
class LineItemData:
    gid: str
    title: str
    quantity: int
    current_quantity: int
    unfulfilled_quantity: int
    unit_price: Money
    unit_price_presentment: Money
    variant_title: str = ""
    sku: str = ""
    image_url: str = ""
    requires_shipping: bool = True
    gift_card: bool = False


@dataclass(frozen=True, slots=True)
class OrderData:
    gid: str
    legacy_id: int
    name: str
    email: str
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str  # lower-case OrderCancelReason, "" when not cancelled
    closed: bool
    financial_status: str  # lower-case OrderDisplayFinancialStatus ("paid", "pending", ...)
    fulfillment_status: str  # lower-case OrderDisplayFulfillmentStatus ("unfulfilled", ...)
    total_price: Money  # in the shop's currency
    total_price_presentment: Money  # in the currency the shopper paid in
    total_refunded: Money
    tags: tuple[str, ...]
    # None when the source does not say (webhooks carry no risk): an upsert keeps what it had.
    risk_level: str | None
    shipping_address: MailingAddress | None
    customer: CustomerData | None
    line_items: tuple[LineItemData, ...] = field(default=())
    note: str = ""
    # After edits and returns (currentTotalPriceSet); None when the source does not say.
    current_total_price: Money | None = None
    current_total_price_presentment: Money | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ShopData:
    name: str
    domain: str
    iana_timezone: str
    currency: str


@dataclass(frozen=True, slots=True)
class FulfillmentHoldData:
    id: str
    handle: str = ""
    reason: str = ""  # lower-case FulfillmentHoldReason ("other", "awaiting_payment", ...)
    reason_notes: str = ""
    ours: bool = False  # placed by this app (Shopify's heldByRequestingApp / held_by_requesting_app)

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "id": self.id,
            "handle": self.handle,
            "reason": self.reason,
            "reason_notes": self.reason_notes,
            "ours": self.ours,
        }


@dataclass(frozen=True, slots=True)
class FulfillmentOrderData:
    """What one source says about a fulfilment order. None: the source does not say (a webhook names no
    location, a `hold_released` body no holds), and the mirror keeps what it has."""

    gid: str
    status: str  # lower-case FulfillmentOrderStatus ("open", "in_progress", "on_hold", ...)
    holds: tuple[FulfillmentHoldData, ...] | None = None
    location_gid: str | None = None
    location_name: str | None = None
    request_status: str | None = None  # lower-case FulfillmentOrderRequestStatus
