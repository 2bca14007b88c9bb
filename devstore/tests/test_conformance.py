"""Same situation, same document, same variables as a recording: the devstore must answer with Shopify's
userErrors (field, message, code). Ids in the recorded variables are swapped for the devstore's."""

from __future__ import annotations

import json

from devstore.testing import Devstore, wait_for

from .conftest import recording


def swap(variables: dict, ids: dict[str, str]) -> dict:
    text = json.dumps(variables)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


def payload(exchange: dict) -> dict:
    resp = exchange["response"]
    return resp.get("payload") or resp.get("body") or resp


def sale_id(store: Devstore, order_gid: str) -> str:
    data = store.graphql("query($id: ID!) { order(id: $id) { transactions { id kind } } }", {"id": order_gid})
    return next(t["id"] for t in data["data"]["order"]["transactions"] if t["kind"] == "SALE")


def test_order_cancel_errors_match_the_recording(devstore: Devstore) -> None:
    rec = recording("orderCancel-error-messages.json")
    fresh = devstore.create_order(currency="USD")
    to_cancel = devstore.create_order(currency="USD")
    setup = rec["setup"]["setupCancel"]
    ids = {
        setup["variables"]["orderId"]: to_cancel["id"],
        rec["expected"]["staffNoteTooLong"]["variables"]["orderId"]: fresh["id"],
    }
    started = devstore.graphql(setup["query"], swap(setup["variables"], ids))["data"]["orderCancel"]
    recorded = payload(setup)["data"]["orderCancel"]
    assert started["job"]["done"] is recorded["job"]["done"] is False
    assert started["orderCancelUserErrors"] == recorded["orderCancelUserErrors"] == []
    job_doc = "query($id: ID!) { job(id: $id) { id done } }"
    wait_for(lambda: devstore.graphql(job_doc, {"id": started["job"]["id"]})["data"]["job"]["done"])
    read = rec["setup"]["cancelledOrderRead"]
    after = devstore.graphql(read["query"], {"id": to_cancel["id"]})["data"]["order"]
    assert after["closed"] is True and after["cancelReason"] == "OTHER"
    assert after["cancelledAt"] == after["closedAt"] is not None

    for case in (
        "staffNoteTooLong",
        "refundTrueAndRefundMethodConflict",
        "refundFalseAndRefundMethodConflict",
        "alreadyCancelled",
    ):
        exchange = rec["expected"][case]
        got = devstore.graphql(exchange["query"], swap(exchange["variables"], ids))
        assert got["data"] == payload(exchange)["data"], case
    assert devstore.order(fresh["legacy_id"])["cancelled_at"] is None


def test_order_cancel_happy_path_sets_cancelled_at_when_the_job_is_done(devstore: Devstore) -> None:
    rec = recording("orderCancel-parity.json")
    order = devstore.create_order(currency="USD", financial_status="pending")
    doc = """mutation($orderId: ID!, $restock: Boolean!, $reason: OrderCancelReason!,
      $notifyCustomer: Boolean,
      $staffNote: String) { orderCancel(orderId: $orderId, restock: $restock, reason: $reason,
      notifyCustomer: $notifyCustomer, staffNote: $staffNote) { job { id done }
      orderCancelUserErrors { field message code } } }"""
    variables = swap(rec["variables"], {rec["variables"]["orderId"]: order["id"]})
    got = devstore.graphql(doc, variables)
    assert (
        got["data"]["orderCancel"]["orderCancelUserErrors"]
        == rec["mutation"]["response"]["data"]["orderCancel"]["orderCancelUserErrors"]
    )
    read = rec["upstreamCalls"][0]["query"]
    before = devstore.graphql(read, {"id": order["id"]})["data"]["order"]
    assert before["cancelledAt"] is None
    after = wait_for(
        lambda: (
            devstore.graphql(read, {"id": order["id"]})["data"]["order"]["cancelledAt"]
            and devstore.graphql(read, {"id": order["id"]})["data"]["order"]
        )
    )
    expected = rec["downstreamRead"]["response"]["data"]["order"]
    for key in ("closed", "cancelReason", "transactions"):
        assert after[key] == expected[key], key
    assert after["currentTotalPriceSet"] == expected["currentTotalPriceSet"]
    assert after["totalOutstandingSet"] == expected["totalOutstandingSet"]


def test_order_close_matches_the_recording(devstore: Devstore) -> None:
    rec = recording("orderClose-parity.json")
    read = rec["upstreamCalls"][0]
    # The recording keeps the mutation's answer but not its document: the answer selects what the read does.
    selection = read["query"].split("order(id: $id)", 1)[1].rstrip().removesuffix("}")
    doc = (
        "mutation OrderClose($input: OrderCloseInput!) { orderClose(input: $input) { order "
        + selection
        + " userErrors { field message } } }"
    )
    # The recorded order: 12.00 USD, no customer, nothing paid.
    order = devstore.create_order(
        currency="USD", email=None, financial_status="pending", line_items=[{"title": "A", "price": "12.00"}]
    )

    def comparable(answer: dict) -> dict:
        # Ids, names and times differ by nature. displayFinancialStatus too: Shopify's orderCreate without
        # transactions leaves the order with none (null); a devstore order always has one (PENDING here).
        skipped = {"id", "name", "closedAt", "displayFinancialStatus"}
        return {k: v for k, v in answer.items() if k not in skipped}

    before = devstore.graphql(read["query"], {"id": order["id"]})["data"]["order"]
    assert comparable(before) == comparable(read["response"]["body"]["data"]["order"])
    assert before["closed"] is False and before["closedAt"] is None

    got = devstore.graphql(doc, swap(rec["variables"], {rec["variables"]["input"]["id"]: order["id"]}))
    expected = rec["mutation"]["response"]
    closed = got["data"]["orderClose"]
    assert closed["userErrors"] == expected["data"]["orderClose"]["userErrors"] == []
    assert comparable(closed["order"]) == comparable(expected["data"]["orderClose"]["order"])
    assert closed["order"]["id"] == order["id"] and closed["order"]["closedAt"].endswith("Z")
    assert (
        got["extensions"]["cost"]["requestedQueryCost"]
        == expected["extensions"]["cost"]["requestedQueryCost"]
    )

    after = devstore.graphql(read["query"], {"id": order["id"]})["data"]["order"]
    assert after == closed["order"]
    assert comparable(after) == comparable(rec["downstreamRead"]["response"]["data"]["order"])
    assert devstore.order(order["legacy_id"])["closed_at"] is not None


def test_order_update_validation_matches_the_recording(devstore: Devstore) -> None:
    rec = recording("orderUpdate-input-validation.json")
    order = devstore.create_order(currency="USD", note="orderUpdate input validation baseline")
    recorded_id = rec["variables"]["emptyInput"]["id"]
    got = devstore.graphql(rec["document"], swap(rec["variables"], {recorded_id: order["id"]}))
    expected = rec["mutation"]["response"]["data"]
    for alias in ("emptyInput", "invalidPhone", "badShippingAddress", "happyNote"):
        assert got["data"][alias]["userErrors"] == expected[alias]["userErrors"], alias
    assert got["data"]["emptyInput"]["order"]["note"] == expected["emptyInput"]["order"]["note"]
    assert got["data"]["invalidPhone"]["order"]["phone"] is None
    assert got["data"]["badShippingAddress"]["order"]["shippingAddress"] is None
    assert got["data"]["happyNote"]["order"]["note"] == expected["happyNote"]["order"]["note"]
    assert (
        got["extensions"]["cost"]["requestedQueryCost"]
        == rec["mutation"]["response"]["extensions"]["cost"]["requestedQueryCost"]
    )


def test_order_update_changes_the_shipping_address(devstore: Devstore) -> None:
    order = devstore.create_order(
        shipping_address={
            "first_name": "Min",
            "last_name": "Kim",
            "address1": "테헤란로 152",
            "city": "강남구",
            "province_code": "KR-11",
            "country_code": "KR",
            "zip": "06236",
        },
    )
    doc = """mutation($input: OrderInput!) { orderUpdate(input: $input) { order {
      shippingAddress { address1 city
      province provinceCode countryCodeV2 zip name } } userErrors { field message } } }"""
    got = devstore.graphql(
        doc,
        {
            "input": {
                "id": order["id"],
                "shippingAddress": {
                    "address1": "세종대로 110",
                    "city": "중구",
                    "zip": "04524",
                    "provinceCode": "KR-11",
                    "countryCode": "KR",
                },
            }
        },
    )
    result = got["data"]["orderUpdate"]
    assert result["userErrors"] == []
    assert result["order"]["shippingAddress"] == {
        "address1": "세종대로 110",
        "city": "중구",
        "province": "Seoul",
        "provinceCode": "KR-11",
        "countryCodeV2": "KR",
        "zip": "04524",
        "name": "Min Kim",
    }
    assert devstore.order(order["legacy_id"])["shipping_address"]["address1"] == "세종대로 110"


def test_refund_create_validation_matches_the_recording(devstore: Devstore) -> None:
    rec = recording("refund-create-transactions-validation.json")
    validation = devstore.create_order(
        currency="CAD", line_items=[{"title": "A", "quantity": 1, "price": "10.00"}]
    )
    happy = devstore.create_order(
        currency="CAD", line_items=[{"title": "B", "quantity": 1, "price": "10.00"}]
    )
    rec_validation = rec["invalidKind"]["variables"]["input"]["orderId"]
    rec_happy = rec["happyPath"]["variables"]["input"]["orderId"]
    ids = {
        rec_validation: validation["id"],
        rec_happy: happy["id"],
        rec["invalidKind"]["variables"]["input"]["transactions"][0]["parentId"]: sale_id(
            devstore, validation["id"]
        ),
        rec["happyPath"]["variables"]["input"]["transactions"][0]["parentId"]: sale_id(devstore, happy["id"]),
    }
    for case in ("invalidKind", "missingParent", "mismatchedGateway", "happyPath"):
        exchange = rec[case]
        got = devstore.graphql(exchange["query"], swap(exchange["variables"], ids))["data"]["refundCreate"]
        expected = exchange["response"]["data"]["refundCreate"]
        assert got["userErrors"] == expected["userErrors"], case
        assert got["order"]["displayFinancialStatus"] == expected["order"]["displayFinancialStatus"], case
        assert got["order"]["totalRefundedSet"] == expected["order"]["totalRefundedSet"], case
        if expected["refund"]:
            assert got["refund"]["totalRefundedSet"] == expected["refund"]["totalRefundedSet"]
            tx = got["refund"]["transactions"]["nodes"][0]
            assert (tx["kind"], tx["status"]) == ("REFUND", "SUCCESS")
        else:
            assert got["refund"] is None
    rest = devstore.order(validation["legacy_id"])
    assert rest["financial_status"] == "partially_refunded" and len(rest["refunds"]) == 1


def test_refund_create_with_line_items_reduces_current_quantity(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD", line_items=[{"title": "A", "quantity": 3, "price": "20.00"}]
    )
    line_id = devstore.graphql(
        "query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { id } } } }", {"id": order["id"]}
    )["data"]["order"]["lineItems"]["nodes"][0]["id"]
    doc = """mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id
      totalRefundedSet { shopMoney
      { amount } } } order { displayFinancialStatus lineItems(first: 5) { nodes { currentQuantity } } }
      userErrors { field message } } }"""
    got = devstore.graphql(
        doc,
        {
            "input": {
                "orderId": order["id"],
                "note": "one back",
                "refundLineItems": [{"lineItemId": line_id, "quantity": 1}],
                "transactions": [
                    {
                        "orderId": order["id"],
                        "kind": "REFUND",
                        "gateway": "manual",
                        "amount": "20.00",
                        "parentId": sale_id(devstore, order["id"]),
                    }
                ],
            }
        },
    )
    result = got["data"]["refundCreate"]
    assert result["userErrors"] == []
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "20.0"
    assert result["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert result["order"]["lineItems"]["nodes"][0]["currentQuantity"] == 2


def test_order_edit_errors_match_the_recordings(devstore: Devstore) -> None:
    rec = recording("order-edit-lifecycle-user-errors.json")
    for case in rec["cases"]:
        got = devstore.graphql(case["query"], case["variables"])
        assert got["data"] == payload(case)["data"], case["name"]

    editable = devstore.create_order(currency="CAD")
    begin = rec["sessionCases"]["editableBegin"]
    begun = devstore.graphql(begin["query"], {"id": editable["id"]})["data"]["orderEditBegin"]
    assert begun["userErrors"] == []
    unknown = rec["sessionCases"]["setQuantityUnknownLine"]
    ids = {unknown["variables"]["id"]: begun["calculatedOrder"]["id"]}
    got = devstore.graphql(unknown["query"], swap(unknown["variables"], ids))
    assert (
        got["data"]["orderEditSetQuantity"]["userErrors"]
        == payload(unknown)["data"]["orderEditSetQuantity"]["userErrors"]
    )
    for name in ("addVariantUnknownVariant", "unknownVariantHydrate"):
        case = rec["sessionCases"][name]
        got = devstore.graphql(case["query"], swap(case["variables"], ids))
        assert got["data"] == payload(case)["data"], name

    cancelled = devstore.create_order(currency="CAD")
    devstore.cancel(cancelled["legacy_id"])
    not_editable = rec["sessionCases"]["beginNotEditable"]
    got = devstore.graphql(not_editable["query"], {"id": cancelled["id"]})
    assert got["data"] == payload(not_editable)["data"]


def test_order_edit_negative_quantity_matches_the_recording(devstore: Devstore) -> None:
    rec = recording("orderEdit-quantity-validation.json")
    order = devstore.create_order(currency="CAD", line_items=[{"title": "A", "quantity": 2, "price": "5.00"}])
    begun = devstore.graphql(rec["begin"]["query"], {"id": order["id"]})["data"]["orderEditBegin"]
    assert begun["userErrors"] == [] and begun["calculatedOrder"]["originalOrder"]["id"] == order["id"]
    case = rec["cases"]["setQuantityNegative"]
    line = begun["calculatedOrder"]["lineItems"]["nodes"][0]["id"]
    ids = {case["variables"]["id"]: begun["calculatedOrder"]["id"], case["variables"]["lineItemId"]: line}
    got = devstore.graphql(case["query"], swap(case["variables"], ids))["data"]["orderEditSetQuantity"]
    assert got["userErrors"] == payload(case)["data"]["orderEditSetQuantity"]["userErrors"]


def test_order_edit_happy_path_changes_unfulfilled_quantities(hooked: Devstore, receiver) -> None:
    order = hooked.create_order(
        line_items=[
            {"title": "A", "quantity": 3, "price": "5.00"},
            {"title": "B", "quantity": 1, "price": "8.00"},
        ]
    )
    begin = """mutation($id: ID!) { orderEditBegin(id: $id) { calculatedOrder { id lineItems(first: 10) {
      nodes { id title quantity } } } userErrors { field message } } }"""
    begun = hooked.graphql(begin, {"id": order["id"]})["data"]["orderEditBegin"]
    calc, lines = begun["calculatedOrder"]["id"], begun["calculatedOrder"]["lineItems"]["nodes"]
    set_qty = """mutation($id: ID!, $line: ID!, $q: Int!) { orderEditSetQuantity(id: $id, lineItemId: $line,
      quantity: $q) { calculatedLineItem { id quantity } userErrors { field message } } }"""
    got = hooked.graphql(set_qty, {"id": calc, "line": lines[0]["id"], "q": 1})["data"][
        "orderEditSetQuantity"
    ]
    assert got == {"calculatedLineItem": {"id": lines[0]["id"], "quantity": 1}, "userErrors": []}
    commit = """mutation($id: ID!) {
      orderEditCommit(id: $id, notifyCustomer: false, staffNote: "shopper asked")
      { order { lineItems(first: 5) { nodes { quantity currentQuantity } } currentTotalPriceSet { shopMoney
      { amount } } } successMessages userErrors { field message } } }"""
    done = hooked.graphql(commit, {"id": calc})["data"]["orderEditCommit"]
    assert done["userErrors"] == [] and done["successMessages"] == ["Order updated"]
    assert done["order"]["lineItems"]["nodes"] == [
        {"quantity": 3, "currentQuantity": 1},
        {"quantity": 1, "currentQuantity": 1},
    ]
    assert done["order"]["currentTotalPriceSet"]["shopMoney"]["amount"] == "13.0"
    wait_for(lambda: {"orders/edited", "orders/updated"} <= set(receiver.topics()))
    again = hooked.graphql(commit, {"id": calc})["data"]["orderEditCommit"]
    assert again["userErrors"] == [{"field": ["id"], "message": "The calculated order does not exist."}]


def test_fulfillment_hold_validation_matches_the_recording(devstore: Devstore) -> None:
    rec = recording("fulfillment-order-hold-validation.json")
    order = devstore.create_order(line_items=[{"title": "Held", "quantity": 5, "price": "3.00"}])
    fo = devstore.graphql(
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id lineItems(first: 5) "
        "{ nodes { id } } } } } }",
        {"id": order["id"]},
    )["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    meta = rec["metadata"]["createdOrder"]
    ids = {
        meta["fulfillmentOrderId"]: fo["id"],
        meta["fulfillmentOrderLineItemId"]: fo["lineItems"]["nodes"][0]["id"],
    }
    steps = rec["workflows"]["validation"]
    sequence = [
        steps["firstHold"],
        steps["duplicateHandle"],
        steps["notSplittable"],
        steps["secondHold"],
        *steps["additionalHolds"],
        steps["limitReached"],
        steps["zeroQuantity"],
        steps["duplicateLineItems"],
    ]
    for step in sequence:
        got = devstore.graphql(step["query"], swap(step["variables"], ids))["data"]["fulfillmentOrderHold"]
        expected = payload(step)["data"]["fulfillmentOrderHold"]
        assert got["userErrors"] == expected["userErrors"], step["variables"]["fulfillmentHold"]["handle"]
        if expected["fulfillmentOrder"]:
            assert got["fulfillmentOrder"]["status"] == expected["fulfillmentOrder"]["status"] == "ON_HOLD"
            held = [
                (n["totalQuantity"], n["remainingQuantity"])
                for n in got["fulfillmentOrder"]["lineItems"]["nodes"]
            ]
            want = [
                (n["totalQuantity"], n["remainingQuantity"])
                for n in expected["fulfillmentOrder"]["lineItems"]["nodes"]
            ]
            assert held == want
            assert bool(got["remainingFulfillmentOrder"]) == bool(expected["remainingFulfillmentOrder"])
    assert devstore.order(order["legacy_id"])["holds"][0]["handle"] == "appA-1"


def test_hold_and_release_round_trip_like_the_lifecycle_recording(devstore: Devstore) -> None:
    rec = recording("fulfillment-order-lifecycle.json")
    flow = rec["workflows"]["holdRelease"]
    order = devstore.create_order(line_items=[{"title": "Two", "quantity": 2, "price": "3.00"}])
    fo = devstore.graphql(
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id lineItems(first: 5) "
        "{ nodes { id } } } } } }",
        {"id": order["id"]},
    )["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    hold_vars = flow["hold"]["variables"]
    ids = {
        hold_vars["id"]: fo["id"],
        hold_vars["fulfillmentHold"]["fulfillmentOrderLineItems"][0]["id"]: fo["lineItems"]["nodes"][0]["id"],
    }
    held = devstore.graphql(flow["hold"]["query"], swap(hold_vars, ids))["data"]["fulfillmentOrderHold"]
    expected = payload(flow["hold"])["data"]["fulfillmentOrderHold"]
    assert held["userErrors"] == expected["userErrors"] == []
    assert held["fulfillmentOrder"]["supportedActions"] == expected["fulfillmentOrder"]["supportedActions"]
    assert (
        held["remainingFulfillmentOrder"]["supportedActions"][:2]
        == expected["remainingFulfillmentOrder"]["supportedActions"][:2]
    )
    status = devstore.graphql(
        "query($id: ID!) { order(id: $id) { displayFulfillmentStatus } }", {"id": order["id"]}
    )
    assert status["data"]["order"]["displayFulfillmentStatus"] == "ON_HOLD"
    release_vars = swap(
        flow["releaseHold"]["variables"],
        {
            flow["releaseHold"]["variables"]["holdIds"][0]: held["fulfillmentHold"]["id"],
            hold_vars["id"]: fo["id"],
        },
    )
    released = devstore.graphql(flow["releaseHold"]["query"], release_vars)["data"][
        "fulfillmentOrderReleaseHold"
    ]
    want = payload(flow["releaseHold"])["data"]["fulfillmentOrderReleaseHold"]
    assert released["userErrors"] == want["userErrors"]
    assert released["fulfillmentOrder"]["status"] == want["fulfillmentOrder"]["status"] == "OPEN"
    assert released["fulfillmentOrder"]["supportedActions"] == want["fulfillmentOrder"]["supportedActions"]
    assert [
        (n["totalQuantity"], n["remainingQuantity"])
        for n in released["fulfillmentOrder"]["lineItems"]["nodes"]
    ] == [
        (n["totalQuantity"], n["remainingQuantity"]) for n in want["fulfillmentOrder"]["lineItems"]["nodes"]
    ]


def test_unknown_fulfillment_order_ids_are_top_level_errors(devstore: Devstore) -> None:
    rec = recording("fulfillment-order-lifecycle.json")
    for case in ("holdUnknownId", "releaseHoldUnknownId"):
        exchange = rec["validation"][case]
        got = devstore.graphql(exchange["query"], exchange["variables"])
        expected = payload(exchange)
        assert got["data"] == expected["data"]
        assert [(e["message"], e["extensions"]["code"], e["path"]) for e in got["errors"]] == [
            (e["message"], e["extensions"]["code"], e["path"]) for e in expected["errors"]
        ]


def test_bulk_run_query_errors_match_the_recording(devstore: Devstore) -> None:
    rec = recording("bulk-operation-run-query-user-error-codes.json")
    for case in rec["validations"].values():
        got = devstore.graphql(case["query"], case["variables"])
        assert got["data"] == case["response"]["data"]
