"""Order edits the way the portal's item edits use them: price a reduction, a removal or a swap, add a
variant, commit, and what the commit does to the order, its stock and its webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

import pytest

from devstore.testing import Devstore, wait_for

from .conftest import SECRET, Receiver

EDIT = """
fragment Money on MoneyBag { shopMoney { amount currencyCode } }

fragment Preview on CalculatedOrder {
  id
  subtotalLineItemsQuantity
  subtotalPriceSet { ...Money }
  cartDiscountAmountSet { ...Money }
  totalPriceSet { ...Money }
  totalOutstandingSet { ...Money }
  taxLines { title rate priceSet { ...Money } }
  shippingLines { title stagedStatus price { ...Money } }
  lineItems(first: 10) {
    nodes { id title variantTitle quantity editableQuantity restockable restocking
      editableSubtotalSet { ...Money } variant { id } }
  }
  addedLineItems(first: 10) {
    nodes {
      id title variantTitle sku quantity editableQuantity originalUnitPriceSet { ...Money } variant { id }
    }
  }
}

mutation Begin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { ...Preview } orderEditSession { id } userErrors { field message }
  }
}

mutation SetQuantity($id: ID!, $line: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $quantity, restock: $restock) {
    calculatedOrder { ...Preview } calculatedLineItem { id quantity } userErrors { field message }
  }
}

mutation AddVariant($id: ID!, $variant: ID!, $quantity: Int!, $allowDuplicates: Boolean) {
  orderEditAddVariant(id: $id, variantId: $variant, quantity: $quantity, allowDuplicates: $allowDuplicates) {
    calculatedOrder { ...Preview }
    calculatedLineItem { id title variantTitle sku quantity originalUnitPriceSet { ...Money } variant { id } }
    orderEditSession { id }
    userErrors { field message }
  }
}

mutation Commit($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order {
      id displayFinancialStatus fullyPaid edited
      totalOutstandingSet { ...Money } currentTotalPriceSet { ...Money }
      lineItems(first: 10) { nodes { id title variantTitle quantity currentQuantity variant { id } } }
    }
    successMessages
    userErrors { field message }
  }
}
"""
ADDED_ID = re.compile(
    r"^gid://shopify/CalculatedLineItem/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def amount(bag: dict) -> str:
    return bag["shopMoney"]["amount"]


class Shop:
    """A tee in four sizes (S cheaper, XL dearer, L sold out) and an order of two M and a gift wrap."""

    def __init__(self, store: Devstore, **order_fields: Any) -> None:
        self.store = store
        tee = store.create_product(
            title="Organic Cotton Tee",
            options=["Size"],
            variants=[
                {"options": ["S"], "price": "8.00", "sku": "TEE-S", "inventory_quantity": 5},
                {"options": ["M"], "price": "10.00", "sku": "TEE-M", "inventory_quantity": 3},
                {"options": ["L"], "price": "10.00", "sku": "TEE-L", "inventory_quantity": 0},
                {"options": ["XL"], "price": "12.00", "sku": "TEE-XL", "inventory_quantity": 4},
            ],
        )
        self.variants = {v["title"]: v for v in tee["variants"]}
        fields: dict[str, Any] = {
            "currency": "USD",
            "shipping_price": "7.00",
            "line_items": [
                {"variant_id": self.variants["M"]["id"], "quantity": 2},
                {"title": "Gift wrap", "quantity": 1, "price": "5.00"},
            ],
        }
        self.order = store.create_order(**(fields | order_fields))
        self.lines = store.order(self.order["legacy_id"])["line_items"]

    def gid(self, size: str) -> str:
        return self.variants[size]["admin_graphql_api_id"]

    def stock(self, size: str) -> int:
        return self.store.variant(self.variants[size]["id"])["inventory_quantity"]

    def run(self, operation: str, **variables: Any) -> dict:
        result = self.store.graphql(EDIT, variables, operation_name=operation)
        assert "errors" not in result, result
        return next(iter(result["data"].values()))

    def begin(self) -> tuple[str, dict]:
        begun = self.run("Begin", id=self.order["id"])
        assert begun["userErrors"] == []
        return begun["calculatedOrder"]["id"], begun["calculatedOrder"]

    def line_gid(self, index: int) -> str:
        return f"gid://shopify/CalculatedLineItem/{self.lines[index]['id']}"


@pytest.fixture
def shop(devstore: Devstore) -> Shop:
    return Shop(devstore)


def test_beginning_prices_the_order_as_it_is(shop: Shop) -> None:
    _, calculated = shop.begin()
    assert amount(calculated["subtotalPriceSet"]) == "25.0"
    assert amount(calculated["totalPriceSet"]) == "32.0"
    assert amount(calculated["totalOutstandingSet"]) == "0.0"
    assert amount(calculated["cartDiscountAmountSet"]) == "0.0"
    assert calculated["shippingLines"] == [
        {
            "title": "Standard Shipping",
            "stagedStatus": "NONE",
            "price": {"shopMoney": {"amount": "7.0", "currencyCode": "USD"}},
        }
    ]
    assert calculated["taxLines"] == [] and calculated["subtotalLineItemsQuantity"] == 3
    tee, wrap = calculated["lineItems"]["nodes"]
    assert (tee["title"], tee["variantTitle"], tee["quantity"], tee["editableQuantity"]) == (
        "Organic Cotton Tee",
        "M",
        2,
        2,
    )
    assert tee["restockable"] is True and tee["restocking"] is False
    assert tee["variant"] == {"id": shop.gid("M")}
    assert wrap["variant"] is None and wrap["restockable"] is False  # a custom line has no stock
    assert calculated["addedLineItems"]["nodes"] == []


def test_adding_a_variant_stages_a_line_and_changes_nothing_yet(shop: Shop) -> None:
    calc, _ = shop.begin()
    added = shop.run("AddVariant", id=calc, variant=shop.gid("XL"), quantity=1)
    assert added["userErrors"] == []
    line = added["calculatedLineItem"]
    assert ADDED_ID.match(line["id"])
    assert {k: line[k] for k in ("title", "variantTitle", "sku", "quantity")} == {
        "title": "Organic Cotton Tee",
        "variantTitle": "XL",
        "sku": "TEE-XL",
        "quantity": 1,
    }
    assert amount(line["originalUnitPriceSet"]) == "12.0" and line["variant"] == {"id": shop.gid("XL")}
    calculated = added["calculatedOrder"]
    assert added["orderEditSession"]["id"].rsplit("/", 1)[1] == calc.rsplit("/", 1)[1]
    assert [n["id"] for n in calculated["addedLineItems"]["nodes"]] == [line["id"]]
    assert len(calculated["lineItems"]["nodes"]) == 2  # added lines are listed apart
    assert calculated["subtotalLineItemsQuantity"] == 4 and amount(calculated["totalPriceSet"]) == "44.0"
    assert len(shop.store.order(shop.order["legacy_id"])["line_items"]) == 2
    assert shop.stock("XL") == 4


def test_add_variant_refusals_leave_the_edit_as_it_was(shop: Shop) -> None:
    calc, _ = shop.begin()

    def errors(**variables: Any) -> list[dict]:
        got = shop.run("AddVariant", **variables)
        assert got["calculatedOrder"] is None and got["calculatedLineItem"] is None
        return got["userErrors"]

    assert errors(id="gid://shopify/CalculatedOrder/1", variant=shop.gid("XL"), quantity=1) == [
        {"field": ["id"], "message": "The calculated order does not exist."}
    ]
    assert errors(id=calc, variant=shop.gid("XL"), quantity=0) == [
        {"field": ["quantity"], "message": "must be greater than 0"}
    ]
    assert errors(id=calc, variant=shop.gid("XL"), quantity=-2) == [
        {"field": ["quantity"], "message": "must be greater than 0"},
        {"field": ["quantity"], "message": "must be greater than or equal to 0"},
    ]
    assert errors(id=calc, variant="gid://shopify/ProductVariant/1", quantity=1) == [
        {"field": ["variantId"], "message": "The variant does not exist in the shop."}
    ]
    assert errors(id=calc, variant=shop.gid("M"), quantity=1) == [
        {"field": ["variantId"], "message": "The variant already exists on the order."}
    ]
    after = shop.run("SetQuantity", id=calc, line=shop.line_gid(0), quantity=2)["calculatedOrder"]
    assert after["addedLineItems"]["nodes"] == [] and amount(after["totalPriceSet"]) == "32.0"

    duplicate = shop.run("AddVariant", id=calc, variant=shop.gid("M"), quantity=1, allowDuplicates=True)
    assert duplicate["userErrors"] == []
    sold_out = shop.run("AddVariant", id=calc, variant=shop.gid("L"), quantity=1)
    assert sold_out["userErrors"] == []  # Shopify shows no stock check here: callers read availableForSale
    assert len(sold_out["calculatedOrder"]["addedLineItems"]["nodes"]) == 2


def test_an_added_line_can_be_changed_or_taken_out_again(shop: Shop) -> None:
    calc, _ = shop.begin()
    line = shop.run("AddVariant", id=calc, variant=shop.gid("S"), quantity=1)["calculatedLineItem"]["id"]
    three = shop.run("SetQuantity", id=calc, line=line, quantity=3)
    assert three["calculatedLineItem"] == {"id": line, "quantity": 3}
    assert amount(three["calculatedOrder"]["subtotalPriceSet"]) == "49.0"
    gone = shop.run("SetQuantity", id=calc, line=line, quantity=0)["calculatedOrder"]
    assert gone["addedLineItems"]["nodes"] == [] and amount(gone["subtotalPriceSet"]) == "25.0"
    assert shop.run("AddVariant", id=calc, variant=shop.gid("S"), quantity=1)["userErrors"] == []


def stage(shop: Shop, calc: str, change: str) -> dict:
    """Stage one of the shopper's changes to the two M tees; returns the calculated order."""
    tees = shop.line_gid(0)
    if change == "reduce":
        return shop.run("SetQuantity", id=calc, line=tees, quantity=1, restock=True)["calculatedOrder"]
    if change == "remove":
        return shop.run("SetQuantity", id=calc, line=tees, quantity=0, restock=True)["calculatedOrder"]
    size = {"swap cheaper": "S", "swap dearer": "XL"}[change]
    assert shop.run("AddVariant", id=calc, variant=shop.gid(size), quantity=2)["userErrors"] == []
    return shop.run("SetQuantity", id=calc, line=tees, quantity=0, restock=True)["calculatedOrder"]


@pytest.mark.parametrize(
    ("change", "subtotal", "total", "outstanding", "quantity"),
    [
        ("reduce", "15.0", "22.0", "-10.0", 2),
        ("remove", "5.0", "12.0", "-20.0", 1),
        ("swap cheaper", "21.0", "28.0", "-4.0", 3),
        ("swap dearer", "29.0", "36.0", "4.0", 3),
    ],
)
def test_the_calculated_order_prices_the_change(
    shop: Shop, change: str, subtotal: str, total: str, outstanding: str, quantity: int
) -> None:
    calc, _ = shop.begin()
    calculated = stage(shop, calc, change)
    assert amount(calculated["subtotalPriceSet"]) == subtotal
    assert amount(calculated["totalPriceSet"]) == total
    assert amount(calculated["totalOutstandingSet"]) == outstanding  # < 0: the store owes a refund
    assert calculated["subtotalLineItemsQuantity"] == quantity
    assert amount(calculated["shippingLines"][0]["price"]) == "7.0"
    tees = calculated["lineItems"]["nodes"][0]
    assert tees["restocking"] is True
    assert tees["editableQuantity"] == tees["quantity"] == (1 if change == "reduce" else 0)
    assert amount(tees["editableSubtotalSet"]) == ("10.0" if change == "reduce" else "0.0")


@pytest.mark.parametrize(
    ("included", "before", "after"),
    [
        (False, {"tax": "2.5", "total": "34.5"}, {"tax": "1.5", "total": "23.5", "outstanding": "-11.0"}),
        (True, {"tax": "2.27", "total": "32.0"}, {"tax": "1.36", "total": "22.0", "outstanding": "-10.0"}),
    ],
)
def test_taxes_follow_the_change(devstore: Devstore, included: bool, before: dict, after: dict) -> None:
    shop = Shop(devstore, tax_rate="0.1", taxes_included=included, tax_title="VAT")
    calc, calculated = shop.begin()
    assert [(t["title"], t["rate"], amount(t["priceSet"])) for t in calculated["taxLines"]] == [
        ("VAT", 0.1, before["tax"])
    ]
    assert amount(calculated["totalPriceSet"]) == before["total"]
    assert amount(calculated["totalOutstandingSet"]) == "0.0"  # the order was paid with its taxes
    reduced = stage(shop, calc, "reduce")
    assert amount(reduced["taxLines"][0]["priceSet"]) == after["tax"]
    assert amount(reduced["totalPriceSet"]) == after["total"]
    assert amount(reduced["totalOutstandingSet"]) == after["outstanding"]


def independent_hmac(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def delivered(receiver: Receiver, topic: str, order_id: int) -> dict:
    """The first ``topic`` delivery about ``order_id`` whose HMAC checks out, as JSON."""

    def about_order() -> list[dict]:
        found = []
        for request in receiver.by_topic(topic):
            body = json.loads(request["body"])
            if (body.get("order_edit") or body).get("order_id", body.get("id")) == order_id:
                assert request["headers"]["x-shopify-hmac-sha256"] == independent_hmac(request["body"])
                found.append(body)
        return found

    return wait_for(about_order)[0]


def test_committing_a_dearer_swap(hooked: Devstore, receiver: Receiver) -> None:
    shop = Shop(hooked)
    calc, _ = shop.begin()
    stage(shop, calc, "swap dearer")
    done = shop.run("Commit", id=calc, staffNote="shopper swapped M for XL")
    assert done["userErrors"] == [] and done["successMessages"] == ["Order updated"]
    order = done["order"]
    assert order["displayFinancialStatus"] == "PARTIALLY_PAID" and order["fullyPaid"] is False
    assert amount(order["totalOutstandingSet"]) == "4.0" and amount(order["currentTotalPriceSet"]) == "36.0"
    assert order["edited"] is True
    tees, wrap, xl = order["lineItems"]["nodes"]
    assert (tees["quantity"], tees["currentQuantity"]) == (2, 0)
    assert (wrap["title"], wrap["currentQuantity"]) == ("Gift wrap", 1)
    assert re.match(r"^gid://shopify/LineItem/\d+$", xl["id"])
    assert (xl["variantTitle"], xl["quantity"], xl["currentQuantity"], xl["variant"]) == (
        "XL",
        2,
        2,
        {"id": shop.gid("XL")},
    )
    assert (shop.stock("M"), shop.stock("XL")) == (5, 2)  # M restocked, XL taken out of stock

    rest = hooked.order(shop.order["legacy_id"])
    assert rest["financial_status"] == "partially_paid" and rest["total_outstanding"] == "4.00"
    assert rest["current_total_price"] == "36.00"
    new_line = rest["line_items"][2]
    fulfillment = rest["fulfillment_orders"][0]
    assert fulfillment["status"] == "open"
    assert {(f["line_item_id"], f["fulfillable_quantity"]) for f in fulfillment["line_items"]} == {
        (shop.lines[0]["id"], 0),
        (shop.lines[1]["id"], 1),
        (new_line["id"], 2),
    }

    edit = delivered(receiver, "orders/edited", shop.order["legacy_id"])["order_edit"]
    assert edit["id"] == int(calc.rsplit("/", 1)[1]) and edit["order_id"] == shop.order["legacy_id"]
    assert edit["staff_note"] == "shopper swapped M for XL" and edit["notify_customer"] is False
    assert edit["line_items"] == {
        "additions": [{"id": new_line["id"], "delta": 2}],
        "removals": [{"id": shop.lines[0]["id"], "delta": 2}],
    }
    assert edit["created_at"].endswith("+09:00") and edit["committed_at"] >= edit["created_at"]
    assert {"app_id", "user_id", "discounts", "shipping_lines"} <= set(edit)
    updated = wait_for(
        lambda: [
            b
            for r in receiver.by_topic("orders/updated")
            if (b := json.loads(r["body"]))["id"] == shop.order["legacy_id"]
            and b["financial_status"] != "paid"
        ]
    )[0]
    assert updated["financial_status"] == "partially_paid" and updated["total_outstanding"] == "4.00"
    assert [li["variant_title"] for li in updated["line_items"]] == ["M", None, "XL"]
    assert updated["line_items"][2]["variant_id"] == shop.variants["XL"]["id"]


def test_committing_a_reduction_without_restock_leaves_a_refund_owed(shop: Shop) -> None:
    calc, _ = shop.begin()
    shop.run("SetQuantity", id=calc, line=shop.line_gid(0), quantity=1, restock=False)
    order = shop.run("Commit", id=calc)["order"]
    assert order["displayFinancialStatus"] == "PAID" and order["fullyPaid"] is True
    assert amount(order["totalOutstandingSet"]) == "-10.0"
    assert shop.stock("M") == 3
    assert shop.store.order(shop.order["legacy_id"])["total_outstanding"] == "-10.00"


def test_the_edit_session_id_names_the_edit_too(shop: Shop) -> None:
    begun = shop.run("Begin", id=shop.order["id"])
    session = begun["orderEditSession"]["id"]
    assert shop.run("AddVariant", id=session, variant=shop.gid("S"), quantity=1)["userErrors"] == []
    done = shop.run("Commit", id=session)
    assert done["userErrors"] == [] and len(done["order"]["lineItems"]["nodes"]) == 3


def test_a_swap_on_a_held_order_stays_held(shop: Shop) -> None:
    fo = shop.store.order(shop.order["legacy_id"])["fulfillment_orders"][0]["id"]
    hold = """mutation($id: ID!) { fulfillmentOrderHold(id: $id, fulfillmentHold: {reason: OTHER,
      handle: "item-edit"}) { userErrors { message } } }"""
    assert shop.store.graphql(hold, {"id": f"gid://shopify/FulfillmentOrder/{fo}"})["data"][
        "fulfillmentOrderHold"
    ] == {"userErrors": []}
    calc, _ = shop.begin()
    stage(shop, calc, "swap cheaper")
    shop.run("Commit", id=calc)
    rest = shop.store.order(shop.order["legacy_id"])
    held = rest["fulfillment_orders"][0]
    assert held["status"] == "on_hold" and len(rest["fulfillment_orders"]) == 1
    assert rest["line_items"][2]["id"] in {f["line_item_id"] for f in held["line_items"]}
    status, _ = shop.store._request("POST", f"/_devstore/orders/{shop.order['legacy_id']}/fulfill", {})
    assert status == 409  # nothing ships while the hold lasts


def test_an_edit_of_an_order_cancelled_meanwhile_is_refused(shop: Shop) -> None:
    calc, _ = shop.begin()
    shop.run("SetQuantity", id=calc, line=shop.line_gid(0), quantity=1)
    shop.store.cancel(shop.order["legacy_id"])
    refused = shop.run("Commit", id=calc)
    assert refused["order"] is None
    assert refused["userErrors"] == [{"field": None, "message": "The order cannot be edited."}]


def test_a_line_fulfilled_after_it_was_staged_refuses_the_whole_commit(shop: Shop) -> None:
    edit_id, _ = shop.begin()
    staged = shop.run("SetQuantity", id=edit_id, line=shop.line_gid(0), quantity=0, restock=True)
    assert staged["userErrors"] == []
    shop.store.fulfill(shop.order["legacy_id"])

    committed = shop.run("Commit", id=edit_id, staffNote="late")

    assert committed["userErrors"] == [
        {"field": None, "message": "The quantity can't be lower than the fulfilled quantity."}
    ]
    assert [line["current_quantity"] for line in shop.store.order(shop.order["legacy_id"])["line_items"]] == [
        2,
        1,
    ]
