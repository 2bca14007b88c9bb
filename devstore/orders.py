"""Pure functions over the devstore's order records (plain dicts, JSON-serialisable for the state file).

An order record holds what Shopify stores; everything Shopify derives (totals, statuses, REST payloads)
is computed here so the GraphQL resolvers, the webhooks and the control API agree.
"""

from __future__ import annotations

from decimal import Decimal

from . import clock, geo
from .ids import gid
from .money import convert, digits, quantize, rest_amount, tax_on, to_decimal

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


def current_shipping(order: dict, *, presentment: bool = False) -> Decimal:
    """The shipping the current total holds: none once every line is removed (cancelled), as the current
    total drops to 0.0 then (orderCancel-parity.json)."""
    if all(li["current_quantity"] == 0 for li in order["line_items"]):
        return D0
    return shipping(order, presentment=presentment)


def total(order: dict, *, current: bool = False, presentment: bool = False) -> Decimal:
    sub = subtotal(order, current=current, presentment=presentment)
    ship = (
        current_shipping(order, presentment=presentment)
        if current
        else shipping(order, presentment=presentment)
    )
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


def payment_gateway_names(order: dict) -> list[str]:
    """The gateways the order was paid (or authorised) through, as ``Order.paymentGatewayNames`` lists."""
    return sorted({t["gateway"] for t in order["transactions"] if t["kind"] in ("SALE", "AUTHORIZATION")})


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
#
# The order body follows the sample Shopify documents for `orders/create` (shopify.dev/docs/api/webhooks,
# "orders/create: Sample Payload"), key for key; refunds, transactions and fulfillments follow the REST
# Refund, Transaction and Fulfillment resources. What the devstore does not model (checkouts, browsers,
# discounts, duties, tips, staff, B2B) has the value Shopify shows for an order without it: null, an empty
# list, or zero money. Money is a decimal string in the currency's precision, except where Shopify sends a
# JSON number (a refund line item's `subtotal` and `total_tax`).

# The location the devstore ships from unless a fulfilment order was moved (fulfillment_orders.LOCATIONS).
LOCATION_ID = 1


def rest_money_set(order: dict, amount: Decimal) -> dict:
    shop_cur, pres_cur = order["currency"], order["presentment_currency"]
    return {
        "shop_money": {"amount": rest_amount(amount, shop_cur), "currency_code": shop_cur},
        "presentment_money": {
            "amount": rest_amount(to_presentment(order, amount), pres_cur),
            "currency_code": pres_cur,
        },
    }


def rest_number(amount: Decimal, currency: str) -> int | float:
    """An amount as a JSON number, where Shopify's REST sends one (20 for a currency without a minor unit,
    1240.71 otherwise)."""
    value = quantize(amount, currency)
    return int(value) if digits(currency) == 0 else float(value)


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
    # Shopify geocodes addresses; the devstore does not.
    out["latitude"] = address.get("latitude")
    out["longitude"] = address.get("longitude")
    return out


def rest_tax_lines(order: dict, lines: list[tuple[str, Decimal, Decimal]]) -> list[dict]:
    cur = order["currency"]
    return [
        {
            "title": title,
            "rate": float(rate),
            "price": rest_amount(amount, cur),
            "price_set": rest_money_set(order, amount),
        }
        for title, rate, amount in lines
    ]


def rest_line_item(order: dict, line: dict) -> dict:
    cur = order["currency"]
    fulfilled = line["fulfilled_quantity"]
    rate = tax_rate(order)
    taxed = rate is not None and line.get("taxable", True)
    return {
        "id": line["id"],
        "admin_graphql_api_id": gid("LineItem", line["id"]),
        "attributed_staffs": [],
        "current_quantity": line["current_quantity"],
        "fulfillable_quantity": unfulfilled_quantity(line),
        "fulfillment_service": "manual",
        "fulfillment_status": (
            "fulfilled"
            if fulfilled and fulfilled >= line["current_quantity"]
            else ("partial" if fulfilled else None)
        ),
        "gift_card": line.get("gift_card", False),
        "grams": line.get("grams") or 0,
        "name": line["title"] + (f" - {line['variant_title']}" if line.get("variant_title") else ""),
        "price": rest_amount(dec(line["price"]), cur),
        "price_set": rest_money_set(order, dec(line["price"])),
        "product_exists": line.get("product_id") is not None,
        "product_id": line.get("product_id"),
        "properties": [],
        "quantity": line["quantity"],
        "requires_shipping": line.get("requires_shipping", True),
        "sales_line_item_group_id": None,
        "sku": line.get("sku"),
        "taxable": line.get("taxable", True),
        "title": line["title"],
        "total_discount": rest_amount(D0, cur),
        "total_discount_set": rest_money_set(order, D0),
        "variant_id": line.get("variant_id"),
        "variant_inventory_management": None,
        "variant_title": line.get("variant_title"),
        "vendor": line.get("vendor"),
        "tax_lines": rest_tax_lines(
            order,
            [(order.get("tax_title") or "Tax", rate, line_tax(order, line, line["quantity"]))]
            if taxed and rate is not None
            else [],
        ),
        "duties": [],
        "discount_allocations": [],
    }


def rest_customer(customer: dict | None, order: dict, zone) -> dict | None:
    if customer is None:
        return None
    return {
        "id": customer["id"],
        "email": customer.get("email"),
        "created_at": clock.iso_local(customer.get("created_at"), zone),
        "updated_at": clock.iso_local(customer.get("updated_at"), zone),
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        # A customer made by an order, without an account: Shopify's "disabled".
        "state": "disabled",
        "note": customer.get("note"),
        "multipass_identifier": None,
        "tax_exempt": False,
        "phone": customer.get("phone"),
        "tags": ", ".join(customer.get("tags") or []),
        "currency": order["currency"],
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", customer["id"]),
    }


def rest_shipping_lines(order: dict) -> list[dict]:
    """The order's one shipping method: there is one when something is shipped or shipping was charged.

    The devstore keeps no id for it, so ``id`` is null."""
    price = shipping(order)
    if price == 0 and not any(li.get("requires_shipping", True) for li in order["line_items"]):
        return []
    cur = order["currency"]
    return [
        {
            "id": None,
            "carrier_identifier": None,
            "code": None,
            "current_discounted_price_set": rest_money_set(order, current_shipping(order)),
            "discounted_price": rest_amount(price, cur),
            "discounted_price_set": rest_money_set(order, price),
            "is_removed": False,
            "phone": None,
            "price": rest_amount(price, cur),
            "price_set": rest_money_set(order, price),
            "requested_fulfillment_service_id": None,
            "source": "shopify",
            "title": order.get("shipping_title") or "Standard Shipping",
            "tax_lines": [],
            "discount_allocations": [],
        }
    ]


def rest_fulfillment(order: dict, fulfillment: dict, position: int, zone) -> dict:
    """A fulfillment as the REST Fulfillment resource shows it: named ``<order name>.<n>``, its line items
    the order's, each with the quantity this shipment holds. The devstore records no tracking."""
    by_id = {li["id"]: li for li in order["line_items"]}
    return {
        "id": fulfillment["id"],
        "admin_graphql_api_id": gid("Fulfillment", fulfillment["id"]),
        "created_at": clock.iso_local(fulfillment["created_at"], zone),
        "location_id": LOCATION_ID,
        "name": f"{order['name']}.{position}",
        "order_id": order["id"],
        "origin_address": {},
        "receipt": {},
        "service": "manual",
        "shipment_status": None,
        "status": fulfillment["status"].lower(),
        "tracking_company": None,
        "tracking_number": None,
        "tracking_numbers": [],
        "tracking_url": None,
        "tracking_urls": [],
        "updated_at": clock.iso_local(fulfillment["updated_at"], zone),
        "line_items": [
            {**rest_line_item(order, by_id[fli["line_item_id"]]), "quantity": fli["quantity"]}
            for fli in fulfillment["line_items"]
            if fli["line_item_id"] in by_id
        ],
    }


def rest_transaction(order: dict, tx: dict, zone) -> dict:
    """A transaction as the REST Transaction resource shows it: ``amount`` in the currency the shopper
    paid in (``currency``), not the shop's."""
    pres_cur = order["presentment_currency"]
    created = clock.iso_local(tx["created_at"], zone)
    return {
        "id": tx["id"],
        "admin_graphql_api_id": gid("OrderTransaction", tx["id"]),
        "order_id": order["id"],
        "kind": tx["kind"].lower(),
        "gateway": tx["gateway"],
        "status": tx["status"].lower(),
        "message": None,
        "created_at": created,
        "test": bool(order.get("test", False)),
        "authorization": None,
        "location_id": None,
        "user_id": None,
        "parent_id": tx.get("parent_id"),
        "processed_at": created,
        "device_id": None,
        "error_code": None,
        "receipt": {},
        "amount": rest_amount(to_presentment(order, dec(tx["amount"])), pres_cur),
        "currency": pres_cur,
    }


def rest_refund(order: dict, refund: dict, zone) -> dict:
    """A refund as the order's ``refunds`` and the ``refunds/create`` webhook show it (REST Refund)."""
    cur = order["currency"]
    by_tx = {t["id"]: t for t in order["transactions"]}
    by_line = {li["id"]: li for li in order["line_items"]}
    created = clock.iso_local(refund["created_at"], zone)
    refund_lines = []
    for r in refund["refund_line_items"]:
        line = by_line.get(r["line_item_id"])
        amount = dec(line["price"]) * r["quantity"] if line else D0
        line_tax_amount = line_tax(order, line, r["quantity"]) if line else D0
        # refundCreate's restockType when the record keeps it; NO_RESTOCK is the input's default.
        restock_type = r.get("restock_type") or "no_restock"
        refund_lines.append(
            {
                "id": r.get("id"),
                "line_item_id": r["line_item_id"],
                "location_id": LOCATION_ID if restock_type in ("return", "cancel") else None,
                "quantity": r["quantity"],
                "restock_type": restock_type,
                "subtotal": rest_number(amount, cur),
                "total_tax": rest_number(line_tax_amount, cur),
                "subtotal_set": rest_money_set(order, amount),
                "total_tax_set": rest_money_set(order, line_tax_amount),
                "line_item": rest_line_item(order, line) if line else None,
            }
        )
    refunded_shipping = dec(refund.get("shipping") or "0")
    return {
        "id": refund["id"],
        "admin_graphql_api_id": gid("Refund", refund["id"]),
        "order_id": order["id"],
        "created_at": created,
        "note": refund.get("note"),
        "user_id": None,
        "processed_at": created,
        "restock": any(r["restock_type"] != "no_restock" for r in refund_lines),
        "duties": [],
        "total_duties_set": rest_money_set(order, D0),
        "additional_fees": [],
        "total_additional_fees_set": rest_money_set(order, D0),
        "return": None,
        "refund_shipping_lines": (
            [
                {
                    "id": None,
                    "shipping_line_id": None,
                    "subtotal_amount_set": rest_money_set(order, refunded_shipping),
                }
            ]
            if refunded_shipping > 0
            else []
        ),
        "order_adjustments": [],
        "refund_line_items": refund_lines,
        "transactions": [
            rest_transaction(order, t, zone) for tid in refund["transaction_ids"] if (t := by_tx.get(tid))
        ],
    }


def rest_return_summary(ret: dict) -> dict:
    """A return in the order body. Shopify's sample shows ``returns: []`` only; the keys here are the ones
    its ``returns/*`` webhooks open with (returns.rest_return)."""
    return {
        "id": ret["id"],
        "admin_graphql_api_id": gid("Return", ret["id"]),
        "name": ret["name"],
        "status": ret["status"].lower(),
    }


def rest_order(order: dict, customer: dict | None, zone) -> dict:
    """The order as Shopify's REST API and order webhooks show it (snake_case, numeric ids)."""
    cur = order["currency"]
    state = fulfillment_state(order)
    zero = rest_money_set(order, D0)
    line_total = subtotal(order)
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "app_id": None,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": order["cancel_reason"].lower() if order.get("cancel_reason") else None,
        "cancelled_at": clock.iso_local(order["cancelled_at"], zone),
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": clock.iso_local(order["closed_at"], zone),
        "company": None,
        "confirmation_number": None,
        "confirmed": True,
        "contact_email": order.get("email"),
        "created_at": clock.iso_local(order["created_at"], zone),
        "currency": cur,
        "current_shipping_price_set": rest_money_set(order, current_shipping(order)),
        "current_subtotal_price": rest_amount(subtotal(order, current=True), cur),
        "current_subtotal_price_set": rest_money_set(order, subtotal(order, current=True)),
        "current_total_additional_fees_set": None,
        "current_total_discounts": rest_amount(D0, cur),
        "current_total_discounts_set": zero,
        "current_total_duties_set": None,
        "current_total_price": rest_amount(total(order, current=True), cur),
        "current_total_price_set": rest_money_set(order, total(order, current=True)),
        "current_total_tax": rest_amount(tax(order, current=True), cur),
        "current_total_tax_set": rest_money_set(order, tax(order, current=True)),
        "customer_locale": None,
        "device_id": None,
        "discount_codes": [],
        "duties_included": False,
        "email": order.get("email"),
        "estimated_taxes": False,
        "financial_status": order["financial_status"],
        "fulfillment_status": {"fulfilled": "fulfilled", "partial": "partial"}.get(state),
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": None,
        "merchant_of_record_app_id": None,
        "name": order["name"],
        "note": order.get("note"),
        "note_attributes": [],
        "number": order["number"] - 1000,
        "order_number": order["number"],
        "order_status_url": None,
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": payment_gateway_names(order),
        "phone": order.get("phone"),
        "po_number": None,
        "presentment_currency": order["presentment_currency"],
        "processed_at": clock.iso_local(order["processed_at"], zone),
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        # The devstore's orders stand for online-store checkouts (the seeder's and the control API's).
        "source_name": "web",
        "source_url": None,
        "subtotal_price": rest_amount(subtotal(order), cur),
        "subtotal_price_set": rest_money_set(order, subtotal(order)),
        "tags": ", ".join(order["tags"]),
        "tax_exempt": False,
        "tax_lines": rest_tax_lines(order, tax_lines(order, current=True)),
        "taxes_included": bool(order.get("taxes_included")),
        "test": order.get("test", False),
        "token": None,
        "total_cash_rounding_payment_adjustment_set": zero,
        "total_cash_rounding_refund_adjustment_set": zero,
        "total_discounts": rest_amount(D0, cur),
        "total_discounts_set": zero,
        "total_line_items_price": rest_amount(line_total, cur),
        "total_line_items_price_set": rest_money_set(order, line_total),
        "total_outstanding": rest_amount(outstanding(order), cur),
        "total_price": rest_amount(total(order), cur),
        "total_price_set": rest_money_set(order, total(order)),
        "total_shipping_price_set": rest_money_set(order, shipping(order)),
        "total_tax": rest_amount(tax(order), cur),
        "total_tax_set": rest_money_set(order, tax(order)),
        "total_tip_received": rest_amount(D0, cur),
        "total_weight": sum((li.get("grams") or 0) * li["quantity"] for li in order["line_items"]),
        "updated_at": clock.iso_local(order["updated_at"], zone),
        "user_id": None,
        "billing_address": rest_address(order.get("billing_address")),
        "customer": rest_customer(customer, order, zone),
        "discount_applications": [],
        "fulfillments": [
            rest_fulfillment(order, f, position, zone)
            for position, f in enumerate(order.get("fulfillments", []), start=1)
        ],
        "line_items": [rest_line_item(order, li) for li in order["line_items"]],
        "payment_terms": None,
        "refunds": [rest_refund(order, r, zone) for r in order["refunds"]],
        "shipping_address": rest_address(order.get("shipping_address")),
        "shipping_lines": rest_shipping_lines(order),
        "returns": [rest_return_summary(r) for r in order.get("returns", [])],
        "line_item_groups": [],
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
