"""Pure functions over the devstore's order records (plain dicts, JSON-serialisable for the state file).

An order record holds what Shopify stores; everything Shopify derives (totals, statuses, REST payloads)
is computed here so the GraphQL resolvers, the webhooks and the control API agree.
"""

from __future__ import annotations

from decimal import Decimal

from . import clock, geo
from .ids import gid
from .money import convert, rest_amount, tax_on, to_decimal

D0 = Decimal(0)


def dec(value: object) -> Decimal:
    return to_decimal(value) or D0


# --- quantities and statuses ---------------------------------------------------------------------


def unfulfilled_quantity(line: dict) -> int:
    return max(line["current_quantity"] - line["fulfilled_quantity"], 0)


def fulfillment_state(order: dict) -> str:
    """'fulfilled' | 'partial' | 'unfulfilled' from line quantities."""
    fulfilled = sum(li["fulfilled_quantity"] for li in order["line_items"])
    if fulfilled == 0:
        return "unfulfilled"
    if all(unfulfilled_quantity(li) == 0 for li in order["line_items"]):
        return "fulfilled"
    return "partial"


def on_hold(order: dict) -> bool:
    return any(fo["status"] == "ON_HOLD" for fo in order["fulfillment_orders"])


def display_fulfillment_status(order: dict) -> str:
    state = fulfillment_state(order)
    if state == "fulfilled":
        return "FULFILLED"
    if state == "partial":
        return "PARTIALLY_FULFILLED"
    return "ON_HOLD" if on_hold(order) and not order["cancelled_at"] else "UNFULFILLED"


def display_financial_status(order: dict) -> str:
    return order["financial_status"].upper()


def is_open(order: dict) -> bool:
    return order["closed_at"] is None and order["cancelled_at"] is None


# --- money ---------------------------------------------------------------------------------------


def subtotal(order: dict, *, current: bool = False, presentment: bool = False) -> Decimal:
    key = "presentment_price" if presentment else "price"
    qty = "current_quantity" if current else "quantity"
    return sum((dec(li[key]) * li[qty] for li in order["line_items"]), D0)


def shipping(order: dict, *, presentment: bool = False) -> Decimal:
    amount = dec(order.get("shipping_price", "0"))
    if presentment:
        return convert(amount, order["currency"], order["presentment_currency"])
    return amount


def tax_rate(order: dict) -> Decimal | None:
    """The order's one tax rate (None: the order has no taxes, as every order made without one)."""
    return to_decimal(order["tax_rate"]) if order.get("tax_rate") is not None else None


def line_tax(order: dict, line: dict, quantity: int) -> Decimal:
    rate = tax_rate(order)
    if rate is None or not line.get("taxable", True):
        return D0
    return tax_on(
        dec(line["price"]) * quantity, rate, order["currency"], included=bool(order.get("taxes_included"))
    )


def tax(order: dict, *, current: bool = False) -> Decimal:
    """Taxes on the line items (shipping is not taxed here), rounded line by line."""
    qty = "current_quantity" if current else "quantity"
    return sum((line_tax(order, li, li[qty]) for li in order["line_items"]), D0)


def tax_lines(order: dict, *, current: bool = False) -> list[tuple[str, Decimal, Decimal]]:
    """(title, rate, amount) per tax: one line for an order with a tax rate, none without."""
    rate = tax_rate(order)
    if rate is None:
        return []
    return [(order.get("tax_title") or "Tax", rate, tax(order, current=current))]


def total(order: dict, *, current: bool = False, presentment: bool = False) -> Decimal:
    sub = subtotal(order, current=current, presentment=presentment)
    ship = shipping(order, presentment=presentment)
    if current and all(li["current_quantity"] == 0 for li in order["line_items"]):
        # Every line removed (cancelled): the current total drops to 0.0 (orderCancel-parity.json).
        ship = D0
    added_tax = D0
    if tax_rate(order) is not None and not order.get("taxes_included"):
        added_tax = tax(order, current=current)
        if presentment:
            added_tax = to_presentment(order, added_tax)
    return sub + ship + added_tax


def transactions_sum(order: dict, kinds: tuple[str, ...]) -> Decimal:
    return sum(
        (dec(t["amount"]) for t in order["transactions"] if t["kind"] in kinds and t["status"] == "SUCCESS"),
        D0,
    )


def received(order: dict) -> Decimal:
    return transactions_sum(order, ("SALE", "CAPTURE"))


def refunded(order: dict) -> Decimal:
    return transactions_sum(order, ("REFUND",))


def outstanding(order: dict) -> Decimal:
    """Shopify's ``totalOutstandingSet``: the current total less what was paid and not refunded. Positive:
    the shopper owes it; negative: the store owes a refund (an order edit made cheaper, a cancel without
    refund), as the schema describes it."""
    return total(order, current=True) - (received(order) - refunded(order))


def to_presentment(order: dict, amount: Decimal) -> Decimal:
    return convert(amount, order["currency"], order["presentment_currency"])


def refresh_payment_status(order: dict) -> None:
    """After an order edit: a paid order whose total grew is partially paid (Shopify collects the balance
    by invoice, not by itself); a partially paid one whose balance is covered is paid. Refund states are
    left as they are, and so is an order nothing was paid for."""
    if order["financial_status"] in ("paid", "partially_paid") and received(order) > 0:
        order["financial_status"] = "partially_paid" if outstanding(order) > 0 else "paid"


def refresh_financial_status(order: dict) -> None:
    got, back = received(order), refunded(order)
    if back > 0:
        order["financial_status"] = "refunded" if back >= got else "partially_refunded"
    elif order["financial_status"] in ("refunded", "partially_refunded"):
        order["financial_status"] = "paid"


# --- REST-shaped payloads (webhooks and the control API) ------------------------------------------


def rest_money_set(order: dict, amount: Decimal) -> dict:
    shop_cur, pres_cur = order["currency"], order["presentment_currency"]
    return {
        "shop_money": {"amount": rest_amount(amount, shop_cur), "currency_code": shop_cur},
        "presentment_money": {
            "amount": rest_amount(to_presentment(order, amount), pres_cur),
            "currency_code": pres_cur,
        },
    }


def rest_address(address: dict | None) -> dict | None:
    if address is None:
        return None
    keys = [
        "first_name",
        "last_name",
        "address1",
        "address2",
        "city",
        "province",
        "province_code",
        "country",
        "country_code",
        "zip",
        "phone",
        "company",
    ]
    out = {k: address.get(k) for k in keys}
    out["name"] = " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p) or None
    return out


def rest_line_item(order: dict, line: dict) -> dict:
    cur = order["currency"]
    fulfilled = line["fulfilled_quantity"]
    return {
        "id": line["id"],
        "admin_graphql_api_id": gid("LineItem", line["id"]),
        "title": line["title"],
        "name": line["title"] + (f" - {line['variant_title']}" if line.get("variant_title") else ""),
        "variant_title": line.get("variant_title"),
        "sku": line.get("sku"),
        "quantity": line["quantity"],
        "current_quantity": line["current_quantity"],
        "fulfillable_quantity": unfulfilled_quantity(line),
        "fulfillment_status": (
            "fulfilled"
            if fulfilled and fulfilled >= line["current_quantity"]
            else ("partial" if fulfilled else None)
        ),
        "price": rest_amount(dec(line["price"]), cur),
        "price_set": rest_money_set(order, dec(line["price"])),
        "requires_shipping": line.get("requires_shipping", True),
        "gift_card": line.get("gift_card", False),
        "taxable": line.get("taxable", True),
        "variant_id": line.get("variant_id"),
        "product_id": line.get("product_id"),
    }


def rest_customer(customer: dict | None) -> dict | None:
    if customer is None:
        return None
    return {
        "id": customer["id"],
        "email": customer.get("email"),
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        "admin_graphql_api_id": gid("Customer", customer["id"]),
    }


def rest_order(order: dict, customer: dict | None, zone) -> dict:
    """The order as Shopify's REST API and order webhooks show it (snake_case, numeric ids)."""
    cur = order["currency"]
    state = fulfillment_state(order)
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"],
        "order_number": order["number"],
        "number": order["number"] - 1000,
        "email": order.get("email"),
        "contact_email": order.get("email"),
        "phone": order.get("phone"),
        "created_at": clock.iso_local(order["created_at"], zone),
        "updated_at": clock.iso_local(order["updated_at"], zone),
        "processed_at": clock.iso_local(order["processed_at"], zone),
        "cancelled_at": clock.iso_local(order["cancelled_at"], zone),
        "cancel_reason": order["cancel_reason"].lower() if order.get("cancel_reason") else None,
        "closed_at": clock.iso_local(order["closed_at"], zone),
        "financial_status": order["financial_status"],
        "fulfillment_status": {"fulfilled": "fulfilled", "partial": "partial"}.get(state),
        "currency": cur,
        "presentment_currency": order["presentment_currency"],
        "total_price": rest_amount(total(order), cur),
        "subtotal_price": rest_amount(subtotal(order), cur),
        "current_total_price": rest_amount(total(order, current=True), cur),
        "current_subtotal_price": rest_amount(subtotal(order, current=True), cur),
        "total_shipping_price_set": rest_money_set(order, shipping(order)),
        "total_price_set": rest_money_set(order, total(order)),
        "subtotal_price_set": rest_money_set(order, subtotal(order)),
        "current_total_price_set": rest_money_set(order, total(order, current=True)),
        "total_outstanding": rest_amount(outstanding(order), cur),
        "taxes_included": bool(order.get("taxes_included")),
        "total_tax": rest_amount(tax(order), cur),
        "current_total_tax": rest_amount(tax(order, current=True), cur),
        "tax_lines": [
            {"title": title, "rate": float(rate), "price": rest_amount(amount, cur)}
            for title, rate, amount in tax_lines(order, current=True)
        ],
        "note": order.get("note"),
        "tags": ", ".join(order["tags"]),
        "test": order.get("test", False),
        "line_items": [rest_line_item(order, li) for li in order["line_items"]],
        "shipping_address": rest_address(order.get("shipping_address")),
        "customer": rest_customer(customer),
    }


def rest_refund(order: dict, refund: dict, zone) -> dict:
    by_id = {t["id"]: t for t in order["transactions"]}
    return {
        "id": refund["id"],
        "admin_graphql_api_id": gid("Refund", refund["id"]),
        "created_at": clock.iso_local(refund["created_at"], zone),
        "note": refund.get("note"),
        "refund_line_items": [
            {"line_item_id": r["line_item_id"], "quantity": r["quantity"]}
            for r in refund["refund_line_items"]
        ],
        "transactions": [
            {
                "id": t["id"],
                "kind": t["kind"].lower(),
                "status": t["status"].lower(),
                "gateway": t["gateway"],
                "amount": rest_amount(dec(t["amount"]), order["currency"]),
                "parent_id": t.get("parent_id"),
            }
            for tid in refund["transaction_ids"]
            if (t := by_id.get(tid))
        ],
    }


def address_from_rest(data: dict | None) -> dict | None:
    """Normalise a REST-shaped (snake_case) address as the control API receives it."""
    if not data:
        return None
    country = data.get("country_code") or None
    province_code = data.get("province_code") or None
    return {
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "address1": data.get("address1"),
        "address2": data.get("address2"),
        "city": data.get("city"),
        "province": data.get("province") or geo.province_name(country, province_code),
        "province_code": province_code,
        "country": data.get("country") or geo.country_name(country),
        "country_code": country,
        "zip": data.get("zip"),
        "phone": data.get("phone"),
        "company": data.get("company"),
    }


def address_from_input(current: dict | None, data: dict) -> dict:
    """Apply a GraphQL MailingAddressInput (camelCase) on top of the current address."""
    base = dict(current or {})
    mapping = {
        "firstName": "first_name",
        "lastName": "last_name",
        "address1": "address1",
        "address2": "address2",
        "city": "city",
        "company": "company",
        "zip": "zip",
        "phone": "phone",
        "provinceCode": "province_code",
        "countryCode": "country_code",
    }
    for src, dst in mapping.items():
        if src in data:
            base[dst] = data[src]
    country = base.get("country_code")
    base["country"] = geo.country_name(country)
    base["province"] = geo.province_name(country, base.get("province_code"))
    return base


def address_as_input(address: dict | None) -> dict:
    """The current address in MailingAddressInput keys, for validating a merged update."""
    a = address or {}
    return {
        "firstName": a.get("first_name"),
        "lastName": a.get("last_name"),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "zip": a.get("zip"),
        "provinceCode": a.get("province_code"),
        "countryCode": a.get("country_code"),
    }
