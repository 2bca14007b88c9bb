"""REST-shaped webhook bodies become the same OrderData a GraphQL sync would give."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shopify_sync.tests.factories import T0, rest_line_item, rest_order
from shopify_sync.types import MailingAddress, Money
from shopify_sync.webhooks.payloads import PayloadError, order_data_from_rest


def test_it_reads_an_order_body():
    data = order_data_from_rest(rest_order())

    assert data.gid == "gid://shopify/Order/820982911946154508"
    assert data.legacy_id == 820982911946154508
    assert data.name == "#9999"
    assert data.email == "Jon@Example.com"  # normalised when stored
    assert data.updated_at == T0
    assert data.updated_at.tzinfo == UTC
    assert data.processed_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert data.total_price == Money(Decimal("25.00"), "USD")
    assert data.total_refunded == Money(Decimal("0"), "USD")
    assert data.tags == ("gift", "vip")
    assert data.risk_level is None
    assert data.closed is False
    assert data.note == "ring twice"
    assert data.shipping_address == MailingAddress(
        first_name="Jon",
        last_name="Doe",
        address1="123 Amoebobacterieae St",
        city="Ottawa",
        province="Ontario",
        province_code="ON",
        country="Canada",
        country_code="CA",
        zip="K2P0V6",
        phone="555-625-1199",
    )
    assert data.customer is not None
    assert data.customer.gid == "gid://shopify/Customer/115310627314723954"
    assert data.customer.first_name == "Jon"
    [line] = data.line_items
    assert line.gid == "gid://shopify/LineItem/866550311766439020"
    assert (line.title, line.variant_title, line.sku) == ("Mug", "Blue", "MUG-BLUE")
    assert (line.quantity, line.current_quantity, line.unfulfilled_quantity) == (1, 1, 1)
    assert line.unit_price == Money(Decimal("25.00"), "USD")


@pytest.mark.parametrize(
    ("rest", "graphql"),
    [
        (None, "unfulfilled"),
        ("partial", "partially_fulfilled"),
        ("fulfilled", "fulfilled"),
        ("restocked", "restocked"),
    ],
)
def test_it_names_fulfillment_statuses_as_graphql_does(rest, graphql):
    assert order_data_from_rest(rest_order(fulfillment_status=rest)).fulfillment_status == graphql


def test_it_reads_financial_status_cancellation_and_closing():
    data = order_data_from_rest(
        rest_order(
            financial_status="partially_refunded",
            cancelled_at="2026-07-01T19:00:00+09:00",
            cancel_reason="customer",
            closed_at="2026-07-01T19:00:00+09:00",
        )
    )

    assert data.financial_status == "partially_refunded"
    assert data.cancelled_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert data.cancel_reason == "customer"
    assert data.closed is True


def test_it_keeps_shop_and_presentment_money_apart():
    body = rest_order(
        currency="USD",
        presentment_currency="EUR",
        total_price="25.00",
        total_price_set={
            "shop_money": {"amount": "25.00", "currency_code": "USD"},
            "presentment_money": {"amount": "23.10", "currency_code": "EUR"},
        },
        line_items=[
            rest_line_item(
                price_set={
                    "shop_money": {"amount": "25.00", "currency_code": "USD"},
                    "presentment_money": {"amount": "23.10", "currency_code": "EUR"},
                }
            )
        ],
    )

    data = order_data_from_rest(body)

    assert data.total_price == Money(Decimal("25.00"), "USD")
    assert data.total_price_presentment == Money(Decimal("23.10"), "EUR")
    assert data.line_items[0].unit_price_presentment == Money(Decimal("23.10"), "EUR")


def test_it_adds_up_successful_refunds_when_no_total_is_given():
    refunds = [
        {"transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]},
        {"transactions": [{"kind": "refund", "status": "failure", "amount": "7.00"}]},
        {"transactions": [{"kind": "refund", "status": "success", "amount": "2.50"}]},
    ]

    assert order_data_from_rest(rest_order(refunds=refunds)).total_refunded == Money(Decimal("7.50"), "USD")


def test_a_body_without_refunds_has_nothing_refunded():
    body = rest_order()
    del body["refunds"]

    assert order_data_from_rest(body).total_refunded == Money(Decimal("0"), "USD")


def _eur_order(**overrides):
    """A USD shop's order paid in EUR (REST: transactions in EUR, `*_set`s in both)."""
    return rest_order(
        currency="USD",
        presentment_currency="EUR",
        total_price="50.00",
        total_price_set={
            "shop_money": {"amount": "50.00", "currency_code": "USD"},
            "presentment_money": {"amount": "46.30", "currency_code": "EUR"},
        },
        **overrides,
    )


def _money_set(shop: str, presentment: str) -> dict:
    return {
        "shop_money": {"amount": shop, "currency_code": "USD"},
        "presentment_money": {"amount": presentment, "currency_code": "EUR"},
    }


def test_a_refund_paid_in_another_currency_counts_at_its_own_shop_money_breakdown():
    refund = {
        "refund_line_items": [
            {"subtotal_set": _money_set("20.00", "18.52"), "total_tax_set": _money_set("2.00", "1.85")}
        ],
        "refund_shipping_lines": [{"subtotal_amount_set": _money_set("5.00", "4.63")}],
        "transactions": [{"kind": "refund", "status": "success", "amount": "25.00", "currency": "EUR"}],
    }

    data = order_data_from_rest(_eur_order(refunds=[refund]))

    assert data.total_refunded == Money(Decimal("27.00"), "USD")


def test_a_refund_paid_in_another_currency_without_a_matching_breakdown_counts_at_the_orders_rate():
    refund = {  # money only: no lines, no shipping
        "refund_line_items": [],
        "transactions": [{"kind": "refund", "status": "success", "amount": "9.26", "currency": "EUR"}],
    }

    data = order_data_from_rest(_eur_order(refunds=[refund]))

    assert data.total_refunded == Money(Decimal("10.00"), "USD")  # 9.26 x 50.00 / 46.30


def test_it_prefers_a_refunded_total_when_the_body_has_one():
    body = rest_order(total_refunded_set={"shop_money": {"amount": "3.00", "currency_code": "USD"}})

    assert order_data_from_rest(body).total_refunded == Money(Decimal("3.00"), "USD")


def test_it_reads_prices_without_decimals_for_currencies_that_have_none():
    body = rest_order(currency="KRW", presentment_currency="KRW", total_price="15000", total_price_set=None)

    assert order_data_from_rest(body).total_price == Money(Decimal("15000"), "KRW")


def test_a_line_item_without_current_quantity_counts_as_ordered():
    line = rest_line_item(quantity=3)
    del line["current_quantity"]

    assert order_data_from_rest(rest_order(line_items=[line])).line_items[0].current_quantity == 3


def test_it_reads_gift_card_and_no_shipping_lines():
    body = rest_order(
        line_items=[
            rest_line_item(line_id=1, requires_shipping=False, gift_card=True),
            rest_line_item(line_id=2, requires_shipping=False, gift_card=False),
            rest_line_item(line_id=3, requires_shipping=True, gift_card=False),
        ]
    )

    lines = order_data_from_rest(body).line_items

    assert [(line.requires_shipping, line.gift_card) for line in lines] == [
        (False, True),
        (False, False),
        (True, False),
    ]


def test_a_line_item_that_does_not_say_is_shipped_and_no_gift_card():
    line = order_data_from_rest(rest_order(line_items=[rest_line_item()])).line_items[0]

    assert (line.requires_shipping, line.gift_card) == (True, False)


def test_a_guest_checkout_has_no_customer_and_may_have_no_address():
    data = order_data_from_rest(rest_order(customer=None, shipping_address=None))

    assert data.customer is None
    assert data.shipping_address is None


@pytest.mark.parametrize(("key", "value"), [("id", None), ("updated_at", None), ("updated_at", "yesterday")])
def test_it_refuses_an_order_body_without_id_or_updated_at(key, value):
    body = rest_order()
    body[key] = value

    with pytest.raises(PayloadError):
        order_data_from_rest(body)
