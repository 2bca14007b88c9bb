"""Turn GraphQL answers (the `MirroredOrder` selection, bulk JSONL rows) into the typed objects of
`shopify_sync.types`. The webhook side has its own reader for Shopify's REST-shaped payloads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from shopify_sync.types import CustomerData, LineItemData, MailingAddress, Money, OrderData, ShopData


def legacy_id_from_gid(gid: str) -> int:
    """`gid://shopify/Order/123` → 123."""
    return int(gid.rsplit("/", 1)[-1].split("?", 1)[0])


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return _timestamp(value)


def _timestamp(value: str) -> datetime:
    """A `DateTime!`, which Shopify always sends (an order's `createdAt`): a missing one is an error here,
    not a None in a field that has none."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def money(value: dict | None, fallback_currency: str = "") -> Money:
    if not value:
        return Money(Decimal("0"), fallback_currency)
    return Money(Decimal(str(value["amount"])), value.get("currencyCode") or fallback_currency)


def _enum(value: str | None, default: str = "") -> str:
    return value.lower() if value else default


def _flag(value: bool | None, *, default: bool) -> bool:
    """A Boolean an answer may lack (a payload stored before the field was selected): the default then."""
    return default if value is None else bool(value)


RISK_ORDER = ("low", "medium", "high")


def risk_level(risk: dict | None) -> str:
    """The highest level any of Shopify's risk assessments gives ("" when none has a verdict yet)."""
    levels = [(a.get("riskLevel") or "").lower() for a in (risk or {}).get("assessments") or []]
    ranked = [level for level in levels if level in RISK_ORDER]
    return max(ranked, key=RISK_ORDER.index) if ranked else ""


def customer(value: dict | None) -> CustomerData | None:
    if not value:
        return None
    email = (value.get("defaultEmailAddress") or {}).get("emailAddress") or ""
    return CustomerData(
        gid=value["id"],
        legacy_id=int(value.get("legacyResourceId") or legacy_id_from_gid(value["id"])),
        email=email.strip().lower(),
        first_name=value.get("firstName") or "",
        last_name=value.get("lastName") or "",
    )


def line_item(value: dict, shop_currency: str, presentment_currency: str) -> LineItemData:
    price = value.get("originalUnitPriceSet") or {}
    return LineItemData(
        gid=value["id"],
        title=value.get("title") or "",
        variant_title=value.get("variantTitle") or "",
        sku=value.get("sku") or "",
        quantity=int(value.get("quantity") or 0),
        current_quantity=int(value.get("currentQuantity") or 0),
        unfulfilled_quantity=int(value.get("unfulfilledQuantity") or 0),
        unit_price=money(price.get("shopMoney"), shop_currency),
        unit_price_presentment=money(price.get("presentmentMoney"), presentment_currency),
        image_url=(value.get("image") or {}).get("url") or "",
        requires_shipping=_flag(value.get("requiresShipping"), default=True),
        gift_card=_flag(value.get("isGiftCard"), default=False),
    )


def order(node: dict, line_items: list[dict] | None = None) -> OrderData:
    """`node` is a MirroredOrder selection; `line_items`, when given, replaces its first page of lines
    (the whole list, for orders with more lines than one page, or the bulk JSONL child rows)."""
    shop_currency = node.get("currencyCode") or ""
    presentment_currency = node.get("presentmentCurrencyCode") or shop_currency
    total = node.get("totalPriceSet") or {}
    current_total = node.get("currentTotalPriceSet")
    if line_items is None:
        line_items = ((node.get("lineItems") or {}).get("nodes")) or []
    return OrderData(
        gid=node["id"],
        legacy_id=int(node.get("legacyResourceId") or legacy_id_from_gid(node["id"])),
        name=node.get("name") or "",
        email=(node.get("email") or "").strip().lower(),
        created_at=_timestamp(node["createdAt"]),
        updated_at=_timestamp(node["updatedAt"]),
        processed_at=_timestamp(node.get("processedAt") or node["createdAt"]),
        cancelled_at=parse_datetime(node.get("cancelledAt")),
        cancel_reason=_enum(node.get("cancelReason")),
        closed=bool(node.get("closed")),
        financial_status=_enum(node.get("displayFinancialStatus")),
        fulfillment_status=_enum(node.get("displayFulfillmentStatus"), "unfulfilled"),
        total_price=money(total.get("shopMoney"), shop_currency),
        total_price_presentment=money(
            total.get("presentmentMoney") or total.get("shopMoney"), presentment_currency
        ),
        total_refunded=money((node.get("totalRefundedSet") or {}).get("shopMoney"), shop_currency),
        tags=tuple(node.get("tags") or ()),
        risk_level=risk_level(node["risk"]) if "risk" in node else None,
        shipping_address=MailingAddress.from_graphql(node.get("shippingAddress")),
        customer=customer(node.get("customer")),
        line_items=tuple(line_item(li, shop_currency, presentment_currency) for li in line_items),
        note=node.get("note") or "",
        current_total_price=money(current_total.get("shopMoney"), shop_currency) if current_total else None,
        current_total_price_presentment=(
            money(
                current_total.get("presentmentMoney") or current_total.get("shopMoney"), presentment_currency
            )
            if current_total
            else None
        ),
        raw=node,
    )


def shop(node: dict) -> ShopData:
    return ShopData(
        name=node["name"],
        domain=node["myshopifyDomain"],
        iana_timezone=node["ianaTimezone"],
        currency=node["currencyCode"],
    )
