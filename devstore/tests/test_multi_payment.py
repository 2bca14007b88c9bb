"""Orders paid several ways (a card and a gift card), Shopify's refund suggestion over them, and refunds
checked against each payment."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from devstore.testing import Devstore, DevstoreError

from .conftest import SHOPIFY_SCHEMA

# The portal's query (shopify_sync/graphql/suggested_refund.graphql), as it sends it.
SUGGESTED_FULL_REFUND = """
query SuggestedFullRefund($id: ID!) {
  order(id: $id) {
    suggestedRefund(suggestFullRefund: true) {
      maximumRefundableSet { presentmentMoney { amount currencyCode } shopMoney { amount currencyCode } }
      suggestedTransactions {
        gateway
        kind
        amountSet { presentmentMoney { amount currencyCode } }
        maximumRefundableSet { presentmentMoney { amount currencyCode } }
        parentTransaction { id gateway kind }
      }
    }
  }
}
"""

SUGGESTED_FOR_LINES = """
query($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines) {
      amountSet { shopMoney { amount } }
      maximumRefundableSet { shopMoney { amount } }
      subtotalSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      shipping { amountSet { shopMoney { amount } } maximumRefundableSet { shopMoney { amount } } }
      refundLineItems { lineItem { id } quantity }
      suggestedTransactions {
        gateway
        kind
        amountSet { shopMoney { amount } }
        maximumRefundableSet { shopMoney { amount } }
        parentTransaction { id }
      }
    }
  }
}
"""

REFUND = """
mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { totalRefundedSet { shopMoney { amount } } transactions(first: 5) { nodes { kind gateway
      amountSet { shopMoney { amount } } parentTransaction { id } } } }
    order { displayFinancialStatus totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""

CARD_AND_GIFT_CARD = [
    {"gateway": "shopify_payments", "amount": "30.00", "kind": "sale"},
    {"gateway": "gift_card", "amount": "20.00"},
]


def _paid_by_card_and_gift_card(store: Devstore) -> dict:
    return store.create_order(
        currency="USD",
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        payments=CARD_AND_GIFT_CARD,
    )


def _transactions(store: Devstore, order_gid: str) -> list[dict]:
    doc = """query($id: ID!) { order(id: $id) { transactions { id kind status gateway
      amountSet { shopMoney { amount } } parentTransaction { id } } } }"""
    return store.graphql(doc, {"id": order_gid})["data"]["order"]["transactions"]


def _full_suggestion(store: Devstore, order_gid: str) -> dict:
    result = store.graphql(SUGGESTED_FULL_REFUND, {"id": order_gid})
    assert "errors" not in result
    return result["data"]["order"]["suggestedRefund"]


def _suggested(suggestion: dict) -> list[tuple[str, str, str, str]]:
    return [
        (
            t["gateway"],
            t["parentTransaction"]["id"],
            t["amountSet"]["presentmentMoney"]["amount"],
            t["maximumRefundableSet"]["presentmentMoney"]["amount"],
        )
        for t in suggestion["suggestedTransactions"]
    ]


def _refund_to(order_gid: str, *shares: tuple[str, str]) -> dict:
    return {
        "orderId": order_gid,
        "note": "split refund",
        "transactions": [
            {"orderId": order_gid, "parentId": parent, "kind": "REFUND", "gateway": "x", "amount": amount}
            for parent, amount in shares
        ],
    }


def _over_refund(left: str, parent: str) -> str:
    return f"Refund amount can't exceed the refundable amount of {left} for transaction {parent}"


def test_the_portals_query_is_valid_against_shopifys_schema() -> None:
    if not SHOPIFY_SCHEMA.exists():
        pytest.skip(f"Shopify's schema is not available ({SHOPIFY_SCHEMA} is absent)")
    schema = build_schema(Path(SHOPIFY_SCHEMA).read_text(), assume_valid=True)
    assert validate(schema, parse(SUGGESTED_FULL_REFUND)) == []


def test_an_order_paid_by_card_and_gift_card_has_a_sale_for_each(devstore: Devstore) -> None:
    order = _paid_by_card_and_gift_card(devstore)

    txs = _transactions(devstore, order["id"])
    assert [(t["kind"], t["status"], t["gateway"], t["amountSet"]["shopMoney"]["amount"]) for t in txs] == [
        ("SALE", "SUCCESS", "shopify_payments", "30.0"),
        ("SALE", "SUCCESS", "gift_card", "20.0"),
    ]
    assert all(t["parentTransaction"] is None for t in txs)
    assert devstore.order(order["legacy_id"])["financial_status"] == "paid"


def test_the_full_refund_suggestion_lists_every_payment_with_its_maximum(devstore: Devstore) -> None:
    order = _paid_by_card_and_gift_card(devstore)
    card, gift_card = (t["id"] for t in _transactions(devstore, order["id"]))

    suggestion = _full_suggestion(devstore, order["id"])

    assert suggestion["maximumRefundableSet"] == {
        "presentmentMoney": {"amount": "50.0", "currencyCode": "USD"},
        "shopMoney": {"amount": "50.0", "currencyCode": "USD"},
    }
    assert _suggested(suggestion) == [
        ("shopify_payments", card, "30.0", "30.0"),
        ("gift_card", gift_card, "20.0", "20.0"),
    ]
    assert {t["kind"] for t in suggestion["suggestedTransactions"]} == {"SUGGESTED_REFUND"}
    assert suggestion["suggestedTransactions"][1]["parentTransaction"] == {
        "id": gift_card,
        "gateway": "gift_card",
        "kind": "SALE",
    }


def test_a_refund_can_go_to_both_payments_at_once(devstore: Devstore) -> None:
    order = _paid_by_card_and_gift_card(devstore)
    card, gift_card = (t["id"] for t in _transactions(devstore, order["id"]))

    result = devstore.graphql(
        REFUND, {"input": _refund_to(order["id"], (card, "10.00"), (gift_card, "10.00")), "key": "split-1"}
    )["data"]["refundCreate"]

    assert result["userErrors"] == []
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "20.0"
    assert [
        (t["kind"], t["gateway"], t["amountSet"]["shopMoney"]["amount"], t["parentTransaction"]["id"])
        for t in result["refund"]["transactions"]["nodes"]
    ] == [("REFUND", "shopify_payments", "10.0", card), ("REFUND", "gift_card", "10.0", gift_card)]
    assert result["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert _suggested(_full_suggestion(devstore, order["id"])) == [
        ("shopify_payments", card, "20.0", "20.0"),
        ("gift_card", gift_card, "10.0", "10.0"),
    ]

    rest = devstore.graphql(
        REFUND, {"input": _refund_to(order["id"], (card, "20.00"), (gift_card, "10.00")), "key": "split-2"}
    )["data"]["refundCreate"]

    assert rest["userErrors"] == []
    assert rest["order"]["displayFinancialStatus"] == "REFUNDED"
    assert rest["order"]["totalRefundedSet"]["shopMoney"]["amount"] == "50.0"
    emptied = _full_suggestion(devstore, order["id"])
    assert emptied["maximumRefundableSet"]["shopMoney"]["amount"] == "0.0"
    assert emptied["suggestedTransactions"] == []


def test_it_refuses_more_than_a_payment_still_holds_and_changes_nothing(devstore: Devstore) -> None:
    order = _paid_by_card_and_gift_card(devstore)
    card, gift_card = (t["id"] for t in _transactions(devstore, order["id"]))

    # 25 is within the order's 50 but above the gift card's 20.
    result = devstore.graphql(
        REFUND, {"input": _refund_to(order["id"], (card, "5.00"), (gift_card, "25.00")), "key": "over-1"}
    )["data"]["refundCreate"]
    # Two transactions on one parent count together: 15 + 10 is above the gift card's 20.
    twice = devstore.graphql(
        REFUND,
        {"input": _refund_to(order["id"], (gift_card, "15.00"), (gift_card, "10.00")), "key": "over-2"},
    )["data"]["refundCreate"]

    assert result["refund"] is None
    assert result["userErrors"] == [
        {
            "field": ["transactions"],
            "message": _over_refund("20.00", gift_card),
        }
    ]
    assert twice["refund"] is None
    assert twice["userErrors"] == [
        {
            "field": ["transactions"],
            "message": _over_refund("5.00", gift_card),
        }
    ]
    assert twice["order"]["displayFinancialStatus"] == "PAID"
    assert twice["order"]["totalRefundedSet"]["shopMoney"]["amount"] == "0.0"
    rest = devstore.order(order["legacy_id"])
    assert rest["financial_status"] == "paid" and rest["refunds"] == []
    assert len(_transactions(devstore, order["id"])) == 2


def test_a_refund_for_lines_is_spread_over_the_payments_in_order(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD",
        line_items=[
            {"title": "Boots", "quantity": 1, "price": "35.00"},
            {"title": "Socks", "quantity": 3, "price": "5.00"},
        ],
        shipping_price="10.00",
        payments=[
            {"gateway": "shopify_payments", "amount": "30.00"},
            {"gateway": "gift_card", "amount": "30.00"},
        ],
    )
    card, gift_card = (t["id"] for t in _transactions(devstore, order["id"]))
    lines = devstore.graphql(
        "query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { id } } } }", {"id": order["id"]}
    )["data"]["order"]["lineItems"]["nodes"]
    boots, socks = lines[0]["id"], lines[1]["id"]

    asked = [{"lineItemId": boots, "quantity": 1}, {"lineItemId": socks, "quantity": 1}]
    suggestion = devstore.graphql(SUGGESTED_FOR_LINES, {"id": order["id"], "lines": asked})["data"]["order"][
        "suggestedRefund"
    ]

    assert suggestion["subtotalSet"]["shopMoney"]["amount"] == "40.0"
    assert suggestion["totalTaxSet"]["shopMoney"]["amount"] == "0.0"
    assert suggestion["amountSet"]["shopMoney"]["amount"] == "40.0"
    assert suggestion["maximumRefundableSet"]["shopMoney"]["amount"] == "60.0"
    assert suggestion["shipping"] == {
        "amountSet": {"shopMoney": {"amount": "0.0"}},
        "maximumRefundableSet": {"shopMoney": {"amount": "10.0"}},
    }
    assert suggestion["refundLineItems"] == [
        {"lineItem": {"id": boots}, "quantity": 1},
        {"lineItem": {"id": socks}, "quantity": 1},
    ]
    assert [
        (
            t["gateway"],
            t["parentTransaction"]["id"],
            t["amountSet"]["shopMoney"]["amount"],
            t["maximumRefundableSet"]["shopMoney"]["amount"],
        )
        for t in suggestion["suggestedTransactions"]
    ] == [("shopify_payments", card, "30.0", "30.0"), ("gift_card", gift_card, "10.0", "30.0")]


def test_an_authorization_only_order_suggests_nothing_and_refuses_a_refund(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD",
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        financial_status="authorized",
    )
    (authorization,) = _transactions(devstore, order["id"])
    assert (authorization["kind"], authorization["amountSet"]["shopMoney"]["amount"]) == (
        "AUTHORIZATION",
        "50.0",
    )

    suggestion = _full_suggestion(devstore, order["id"])
    refused = devstore.graphql(
        REFUND, {"input": _refund_to(order["id"], (authorization["id"], "10.00")), "key": "auth-1"}
    )["data"]["refundCreate"]
    unparented = devstore.graphql(
        REFUND,
        {
            "input": {
                "orderId": order["id"],
                "transactions": [
                    {"orderId": order["id"], "kind": "REFUND", "gateway": "manual", "amount": "10.00"}
                ],
            },
            "key": "auth-2",
        },
    )["data"]["refundCreate"]

    assert suggestion["maximumRefundableSet"]["shopMoney"]["amount"] == "0.0"
    assert suggestion["suggestedTransactions"] == []
    assert refused["refund"] is None
    assert refused["userErrors"] == [
        {
            "field": ["transactions"],
            "message": "Refund amount can't exceed the refundable amount of 0.00 "
            f"for transaction {authorization['id']}",
        }
    ]
    assert unparented["userErrors"] == [
        {"field": ["transactions"], "message": "Transactions require a parent_id associated with the order"}
    ]
    rest = devstore.order(order["legacy_id"])
    assert rest["financial_status"] == "authorized" and rest["refunds"] == []


def test_payments_can_be_held_or_captured(devstore: Devstore) -> None:
    held = devstore.create_order(
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        payments=[{"gateway": "shopify_payments", "amount": "50.00", "kind": "authorization"}],
    )
    captured = devstore.create_order(
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        payments=[
            {"gateway": "shopify_payments", "amount": "40.00", "kind": "capture"},
            {"gateway": "gift_card", "amount": "10.00"},
        ],
    )
    part = devstore.create_order(
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        payments=[
            {"gateway": "gift_card", "amount": "10.00"},
            {"gateway": "shopify_payments", "amount": "40.00", "kind": "authorization"},
        ],
    )

    assert devstore.order(held["legacy_id"])["financial_status"] == "authorized"
    assert devstore.order(captured["legacy_id"])["financial_status"] == "paid"
    assert devstore.order(part["legacy_id"])["financial_status"] == "partially_paid"
    authorization, capture, sale = _transactions(devstore, captured["id"])
    assert (authorization["kind"], capture["kind"], sale["kind"]) == ("AUTHORIZATION", "CAPTURE", "SALE")
    assert capture["parentTransaction"] == {"id": authorization["id"]}
    assert _suggested(_full_suggestion(devstore, captured["id"])) == [
        ("shopify_payments", capture["id"], "40.0", "40.0"),
        ("gift_card", sale["id"], "10.0", "10.0"),
    ]
    assert _suggested(_full_suggestion(devstore, part["id"])) == [
        ("gift_card", _transactions(devstore, part["id"])[0]["id"], "10.0", "10.0")
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"payments": [{"gateway": "shopify_payments", "amount": "30.00"}]},
            "payments add up to 30.00, not to the order total 50.00",
        ),
        (
            {"payments": CARD_AND_GIFT_CARD, "financial_status": "authorized"},
            "financial_status authorized does not match the payments (paid)",
        ),
        (
            {"payments": [{"gateway": "x", "amount": "50.00", "kind": "void"}]},
            "payments[0].kind must be one of",
        ),
        (
            {"payments": [{"gateway": "x", "amount": "-1"}]},
            "payments[0].amount must be a decimal amount above 0",
        ),
        ({"payments": []}, "payments must be a non-empty list of objects"),
    ],
)
def test_it_refuses_payments_that_do_not_pay_the_order(
    devstore: Devstore, fields: dict, message: str
) -> None:
    with pytest.raises(DevstoreError, match="422") as refused:
        devstore.create_order(line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}], **fields)

    assert message in str(refused.value)
    assert devstore.orders() == []


def test_a_cancel_with_refund_gives_every_payment_its_share_back(devstore: Devstore) -> None:
    order = _paid_by_card_and_gift_card(devstore)
    card, gift_card = (t["id"] for t in _transactions(devstore, order["id"]))

    devstore.cancel(order["legacy_id"], refund=True)

    rest = devstore.order(order["legacy_id"])
    assert rest["financial_status"] == "refunded"
    assert [(t["parent_id"], t["gateway"], t["amount"]) for t in rest["refunds"][0]["transactions"]] == [
        (int(card.rsplit("/", 1)[1]), "shopify_payments", "30.00"),
        (int(gift_card.rsplit("/", 1)[1]), "gift_card", "20.00"),
    ]


def test_a_default_order_is_one_sale_and_suggests_it_whole(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD", line_items=[{"title": "A", "quantity": 2, "price": "10.00"}]
    )
    (sale,) = _transactions(devstore, order["id"])

    suggestion = _full_suggestion(devstore, order["id"])
    over = devstore.graphql(REFUND, {"input": _refund_to(order["id"], (sale["id"], "20.01")), "key": "d-1"})
    whole = devstore.graphql(REFUND, {"input": _refund_to(order["id"], (sale["id"], "20.00")), "key": "d-2"})

    assert (sale["kind"], sale["gateway"], sale["amountSet"]["shopMoney"]["amount"]) == (
        "SALE",
        "shopify_payments",
        "20.0",
    )
    assert _suggested(suggestion) == [("shopify_payments", sale["id"], "20.0", "20.0")]
    assert over["data"]["refundCreate"]["userErrors"][0]["message"] == (
        f"Refund amount can't exceed the refundable amount of 20.00 for transaction {sale['id']}"
    )
    assert whole["data"]["refundCreate"]["userErrors"] == []
    assert whole["data"]["refundCreate"]["order"]["displayFinancialStatus"] == "REFUNDED"
