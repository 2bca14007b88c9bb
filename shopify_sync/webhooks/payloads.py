"""REST-shaped webhook JSON (`orders/*`) → `shopify_sync.types.OrderData`.

Webhook bodies are the REST Admin API's order resource: snake_case keys, numeric `id` beside
`admin_graphql_api_id`, prices as decimal strings and as `*_set` objects with `shop_money` and
`presentment_money`, REST's own status words. Everything here maps them onto the GraphQL-shaped
`OrderData` the rest of the mirror reads, so a webhook and a sync of the same order store the same row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shopify_sync.types import CustomerData, LineItemData, MailingAddress, Money, OrderData


class PayloadError(ValueError):
    """The payload lacks something an order needs (a person can read the message in admin)."""


# REST `fulfillment_status` → lower-case OrderDisplayFulfillmentStatus. REST says null for "nothing
# shipped yet" and "partial" where GraphQL says PARTIALLY_FULFILLED.
_FULFILLMENT_STATUS = {
    None: "unfulfilled",
    "": "unfulfilled",
    "unfulfilled": "unfulfilled",
    "partial": "partially_fulfilled",
    "partially_fulfilled": "partially_fulfilled",
    "fulfilled": "fulfilled",
    "restocked": "restocked",
}


def order_data_from_rest(payload: dict[str, Any]) -> OrderData:
    """The `OrderData` of an `orders/create|updated|cancelled|fulfilled|partially_fulfilled|paid` body."""
    try:
        legacy_id = int(payload["id"])
    except (KeyError, TypeError, ValueError) as error:
        raise PayloadError("order payload has no numeric id") from error
    updated_at = parse_datetime(payload.get("updated_at"))
    if updated_at is None:
        raise PayloadError(f"order {legacy_id} has no updated_at")
    created_at = parse_datetime(payload.get("created_at")) or updated_at
    shop_currency = payload.get("currency") or ""
    presentment_currency = payload.get("presentment_currency") or shop_currency

    total_price, total_price_presentment = _money_pair(
        payload.get("total_price_set"), payload.get("total_price"), shop_currency, presentment_currency
    )
    current_total_price: Money | None = None
    current_total_price_presentment: Money | None = None
    if payload.get("current_total_price_set") or payload.get("current_total_price") not in (None, ""):
        current_total_price, current_total_price_presentment = _money_pair(
            payload.get("current_total_price_set"),
            payload.get("current_total_price"),
            shop_currency,
            presentment_currency,
        )
    return OrderData(
        gid=payload.get("admin_graphql_api_id") or f"gid://shopify/Order/{legacy_id}",
        legacy_id=legacy_id,
        name=payload.get("name") or f"#{payload.get('order_number', legacy_id)}",
        email=payload.get("email") or payload.get("contact_email") or "",
        created_at=created_at,
        updated_at=updated_at,
        processed_at=parse_datetime(payload.get("processed_at")) or created_at,
        cancelled_at=parse_datetime(payload.get("cancelled_at")),
        cancel_reason=(payload.get("cancel_reason") or "").lower(),
        closed=payload.get("closed_at") is not None,
        financial_status=(payload.get("financial_status") or "").lower(),
        fulfillment_status=_fulfillment_status(payload.get("fulfillment_status")),
        total_price=total_price,
        total_price_presentment=total_price_presentment,
        total_refunded=_total_refunded(payload, shop_currency, presentment_currency),
        tags=tuple(tag.strip() for tag in (payload.get("tags") or "").split(",") if tag.strip()),
        risk_level=None,  # webhooks carry no risk assessment: keep what sync stored
        shipping_address=MailingAddress.from_rest(payload.get("shipping_address")),
        customer=_customer(payload.get("customer")),
        line_items=tuple(
            _line_item(line, shop_currency, presentment_currency) for line in payload.get("line_items") or ()
        ),
        note=payload.get("note") or "",
        current_total_price=current_total_price,
        current_total_price_presentment=current_total_price_presentment,
        raw=payload,
    )


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 with an offset (REST gives the shop's local time, e.g. 2026-06-22T18:34:00+09:00) → UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise PayloadError(f"not an ISO-8601 time: {value!r}") from error
    if parsed.tzinfo is None:  # Shopify always sends an offset; treat a bare time as UTC rather than guess
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation as error:
        raise PayloadError(f"not an amount: {value!r}") from error


def _money(value: dict[str, Any] | None, fallback_currency: str) -> Money | None:
    if not value:
        return None
    return Money(_decimal(value.get("amount")), value.get("currency_code") or fallback_currency)


def _money_pair(
    money_set: dict[str, Any] | None, plain: Any, shop_currency: str, presentment_currency: str
) -> tuple[Money, Money]:
    """(shop money, presentment money) from a `*_set`, or from the plain shop-currency string."""
    money_set = money_set or {}
    shop = _money(money_set.get("shop_money"), shop_currency) or Money(_decimal(plain), shop_currency)
    # Without a presentment figure the shop's is the only amount known (the same, for most orders).
    presentment = _money(money_set.get("presentment_money"), presentment_currency) or shop
    return shop, presentment


def _total_refunded(payload: dict[str, Any], shop_currency: str, presentment_currency: str) -> Money:
    """What was refunded, in the shop's currency.

    The REST order has no such total (GraphQL has `totalRefundedSet`), so a total is used when a body has
    one, and otherwise the refunds' successful `refund` transactions are added up. Those are in the
    currency the shopper paid in (each says so in `currency`): the figure itself for an order paid in the
    shop's currency. For one paid in another, a refund counts at its own shop-money breakdown
    (`refund_line_items[].subtotal_set` and `total_tax_set`, `refund_shipping_lines[].subtotal_amount_set`)
    when that breakdown adds up to what its transactions paid back, else at the order's own rate
    (`total_price_set`); without that rate, at `total_price - current_total_price`. Incremental sync
    rewrites the exact figure from GraphQL."""
    for key in ("total_refunded_set", "current_total_refunded_set"):
        if money := _money((payload.get(key) or {}).get("shop_money"), shop_currency):
            return money
    if payload.get("total_refunded") not in (None, ""):
        return Money(_decimal(payload["total_refunded"]), shop_currency)
    refunds = payload.get("refunds") or []
    if not refunds:
        return Money(Decimal(0), shop_currency)
    rate = _shop_per_presentment(payload)
    amounts = [
        _refunded_in_shop_money(refund, shop_currency, presentment_currency, rate) for refund in refunds
    ]
    if all(amount is not None for amount in amounts):
        return Money(sum((amount for amount in amounts if amount is not None), Decimal(0)), shop_currency)
    total, _ = _money_pair(
        payload.get("total_price_set"), payload.get("total_price"), shop_currency, shop_currency
    )
    current, _ = _money_pair(
        payload.get("current_total_price_set"),
        payload.get("current_total_price"),
        shop_currency,
        shop_currency,
    )
    return Money(max(total.amount - current.amount, Decimal(0)), shop_currency)


def _refunded_in_shop_money(
    refund: dict[str, Any], shop_currency: str, presentment_currency: str, rate: tuple[Decimal, int] | None
) -> Decimal | None:
    """What one refund paid back, in shop money; None when that cannot be told from the body."""
    paid = [
        transaction
        for transaction in refund.get("transactions") or ()
        if transaction.get("kind") == "refund" and transaction.get("status") == "success"
    ]
    amount = sum((_decimal(transaction.get("amount")) for transaction in paid), Decimal(0))
    currencies = {transaction.get("currency") or presentment_currency for transaction in paid}
    if not paid or currencies == {shop_currency}:
        return amount
    breakdown = [
        money_set
        for line in refund.get("refund_line_items") or ()
        for money_set in (line.get("subtotal_set"), line.get("total_tax_set"))
    ] + [line.get("subtotal_amount_set") for line in refund.get("refund_shipping_lines") or ()]
    shop_part = presentment_part = Decimal(0)
    for money_set in breakdown:
        shop = (money_set or {}).get("shop_money") or {}
        presentment = (money_set or {}).get("presentment_money") or {}
        shop_part += _decimal(shop.get("amount"))
        presentment_part += _decimal(presentment.get("amount"))
    if breakdown and presentment_part == amount:
        return shop_part
    if rate is None:
        return None
    per_presentment, exponent = rate
    return (amount * per_presentment).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _shop_per_presentment(payload: dict[str, Any]) -> tuple[Decimal, int] | None:
    """The order's own exchange rate (shop money per unit of presentment money, from `total_price_set`) and
    the exponent shop amounts are written with; None when the body does not give both amounts."""
    money_set = payload.get("total_price_set") or {}
    shop = (money_set.get("shop_money") or {}).get("amount")
    presentment = (money_set.get("presentment_money") or {}).get("amount")
    if shop in (None, "") or presentment in (None, ""):
        return None
    shop_amount, presentment_amount = _decimal(shop), _decimal(presentment)
    if presentment_amount <= 0 or shop_amount <= 0:
        return None
    exponent = shop_amount.as_tuple().exponent
    return shop_amount / presentment_amount, exponent if isinstance(exponent, int) else -2


def _fulfillment_status(value: Any) -> str:
    key = value.lower() if isinstance(value, str) else value
    return _FULFILLMENT_STATUS.get(key, str(key))


def _customer(value: dict[str, Any] | None) -> CustomerData | None:
    if not value or value.get("id") is None:
        return None
    legacy_id = int(value["id"])
    return CustomerData(
        gid=value.get("admin_graphql_api_id") or f"gid://shopify/Customer/{legacy_id}",
        legacy_id=legacy_id,
        email=value.get("email") or "",
        first_name=value.get("first_name") or "",
        last_name=value.get("last_name") or "",
    )


def _line_item(value: dict[str, Any], shop_currency: str, presentment_currency: str) -> LineItemData:
    legacy_id = int(value["id"])
    quantity = int(value.get("quantity") or 0)
    unit_price, unit_price_presentment = _money_pair(
        value.get("price_set"), value.get("price"), shop_currency, presentment_currency
    )
    current_quantity = value.get("current_quantity")
    return LineItemData(
        gid=value.get("admin_graphql_api_id") or f"gid://shopify/LineItem/{legacy_id}",
        title=value.get("title") or value.get("name") or "",
        quantity=quantity,
        current_quantity=quantity if current_quantity is None else int(current_quantity),
        # REST `fulfillable_quantity` is GraphQL's `unfulfilledQuantity`
        unfulfilled_quantity=int(value.get("fulfillable_quantity") or 0),
        unit_price=unit_price,
        unit_price_presentment=unit_price_presentment,
        variant_title=value.get("variant_title") or "",
        sku=value.get("sku") or "",
        requires_shipping=bool(value.get("requires_shipping", True)),
        gift_card=bool(value.get("gift_card", False)),
    )
