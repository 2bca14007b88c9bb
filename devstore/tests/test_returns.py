"""Returns: a request of shipped units, approved or declined, and the refusals (returns.py says which answers
are Shopify's and which are guessed)."""

from __future__ import annotations

import json

import pytest

from devstore.testing import Devstore, wait_for

from .conftest import Receiver

FULFILLMENTS = """query($id: ID!) { order(id: $id) { displayFulfillmentStatus
  fulfillments(first: 5) { id status displayStatus totalQuantity
    fulfillmentLineItems(first: 10) { nodes { id quantity lineItem { id } } } } } }"""

REQUEST = """mutation ReturnRequest($input: ReturnRequestInput!) {
  returnRequest(input: $input) {
    return { id name status totalQuantity order { id } decline { reason note }
      returnLineItems(first: 10) { nodes { id quantity customerNote
        ... on ReturnLineItem { returnReason returnReasonDefinition { handle }
          fulfillmentLineItem { id lineItem { id } } } } } }
    userErrors { field message code }
  }
}"""

APPROVE = """mutation ReturnApproveRequest($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) {
    return { id status requestApprovedAt }
    userErrors { field message code }
  }
}"""

DECLINE = """mutation ReturnDeclineRequest($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) {
    return { id status decline { reason note } }
    userErrors { field message code }
  }
}"""

RETURNS = """query($id: ID!) { order(id: $id) { returns(first: 10) { nodes { id name status totalQuantity
  decline { reason note } returnLineItems(first: 10) { nodes { id quantity
    ... on ReturnLineItem { fulfillmentLineItem { id lineItem { id } } } } } } } } }"""


def shipped_order(store: Devstore, *, quantity: int = 3, ship: int | None = None) -> tuple[dict, dict]:
    """An order of one line of ``quantity``, ``ship`` of them fulfilled (all by default): (order, its line
    and first fulfillment line item as gids)."""
    order = store.create_order(line_items=[{"title": "Tee", "quantity": quantity, "price": "20.00"}])
    line = store.order(order["legacy_id"])["line_items"][0]
    store.fulfill(order["legacy_id"], [{"id": line["id"], "quantity": ship or quantity}])
    fulfillments = store.graphql(FULFILLMENTS, {"id": order["id"]})["data"]["order"]["fulfillments"]
    fli = fulfillments[0]["fulfillmentLineItems"]["nodes"][0]
    return order, {"line": fli["lineItem"]["id"], "fli": fli["id"]}


def request(store: Devstore, order: dict, *lines: dict) -> dict:
    return store.graphql(REQUEST, {"input": {"orderId": order["id"], "returnLineItems": list(lines)}})[
        "data"
    ]["returnRequest"]


def test_fulfilling_makes_a_fulfillment_with_line_items(devstore: Devstore) -> None:
    order = devstore.create_order(
        line_items=[
            {"title": "A", "quantity": 2, "price": "5.00"},
            {"title": "B", "quantity": 1, "price": "9.00"},
        ]
    )
    first = devstore.order(order["legacy_id"])["line_items"][0]["id"]
    devstore.fulfill(order["legacy_id"], [{"id": first, "quantity": 1}])
    devstore.fulfill(order["legacy_id"])
    got = devstore.graphql(FULFILLMENTS, {"id": order["id"]})["data"]["order"]
    assert got["displayFulfillmentStatus"] == "FULFILLED"
    assert [(f["status"], f["displayStatus"], f["totalQuantity"]) for f in got["fulfillments"]] == [
        ("SUCCESS", "FULFILLED", 1),
        ("SUCCESS", "FULFILLED", 2),
    ]
    assert [n["quantity"] for n in got["fulfillments"][1]["fulfillmentLineItems"]["nodes"]] == [1, 1]
    rest = devstore.fulfillment_line_items(order["legacy_id"])
    assert [fli["quantity"] for fli in rest] == [1, 1, 1]
    assert got["fulfillments"][0]["fulfillmentLineItems"]["nodes"][0]["id"].endswith(f"/{rest[0]['id']}")


def test_a_request_of_a_fulfilled_line_is_requested(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore)
    got = request(
        devstore,
        order,
        {
            "fulfillmentLineItemId": ids["fli"],
            "quantity": 2,
            "returnReason": "SIZE_TOO_SMALL",
            "customerNote": "Tight",
        },
    )
    assert got["userErrors"] == []
    ret = got["return"]
    assert ret["status"] == "REQUESTED" and ret["totalQuantity"] == 2 and ret["decline"] is None
    assert ret["name"] == devstore.order(order["legacy_id"])["name"] + "-R1"
    assert ret["order"]["id"] == order["id"]
    assert ret["returnLineItems"]["nodes"] == [
        {
            "id": ret["returnLineItems"]["nodes"][0]["id"],
            "quantity": 2,
            "customerNote": "Tight",
            "returnReason": "SIZE_TOO_SMALL",
            "returnReasonDefinition": {"handle": "too-small"},
            "fulfillmentLineItem": {"id": ids["fli"], "lineItem": {"id": ids["line"]}},
        }
    ]
    read = devstore.graphql(RETURNS, {"id": order["id"]})["data"]["order"]["returns"]["nodes"]
    assert [(r["id"], r["status"]) for r in read] == [(ret["id"], "REQUESTED")]
    single = devstore.graphql("query($id: ID!) { return(id: $id) { id status } }", {"id": ret["id"]})
    assert single["data"]["return"] == {"id": ret["id"], "status": "REQUESTED"}
    (rest,) = devstore.returns(order["legacy_id"])
    assert rest["status"] == "requested" and rest["name"] == ret["name"]
    assert [(li["quantity"], li["return_reason"], li["customer_note"]) for li in rest["line_items"]] == [
        (2, "size_too_small", "Tight")
    ]


def test_the_current_reason_definition_is_accepted_too(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore, quantity=1)
    got = request(
        devstore,
        order,
        {
            "fulfillmentLineItemId": ids["fli"],
            "quantity": 1,
            "returnReasonDefinitionId": "gid://shopify/ReturnReasonDefinition/4",
        },
    )
    assert got["userErrors"] == []
    line = got["return"]["returnLineItems"]["nodes"][0]
    assert line["returnReason"] == "WRONG_ITEM"
    assert line["returnReasonDefinition"] == {"handle": "received-the-wrong-item"}


def test_approving_opens_the_return(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore)
    ret = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"}
    )
    approved = devstore.graphql(APPROVE, {"input": {"id": ret["return"]["id"]}})["data"][
        "returnApproveRequest"
    ]
    assert approved["userErrors"] == []
    assert approved["return"]["status"] == "OPEN" and approved["return"]["requestApprovedAt"]
    assert devstore.returns(order["legacy_id"])[0]["status"] == "open"
    by_status = (
        """query($id: ID!, $q: String) { order(id: $id) { returns(first: 5, query: $q) { nodes { id } } } }"""
    )
    for query, found in (("status:open", 1), ("status:requested", 0)):
        nodes = devstore.graphql(by_status, {"id": order["id"], "q": query})["data"]["order"]["returns"][
            "nodes"
        ]
        assert len(nodes) == found, query
    # Only a requested return can be approved or declined (returnApprove-decline-state-preconditions.json).
    again = devstore.graphql(APPROVE, {"input": {"id": ret["return"]["id"]}})["data"]["returnApproveRequest"]
    assert again == {
        "return": None,
        "userErrors": [
            {
                "field": ["input", "id"],
                "message": "Return is not approvable. Only returns with status REQUESTED can be approved.",
                "code": "INVALID_STATE",
            }
        ],
    }
    declined = devstore.graphql(DECLINE, {"input": {"id": ret["return"]["id"], "declineReason": "OTHER"}})
    assert declined["data"]["returnDeclineRequest"]["userErrors"] == [
        {
            "field": ["input", "id"],
            "message": "Return is not declinable. "
            "Only non-refunded returns with status REQUESTED can be declined.",
            "code": "INVALID_STATE",
        }
    ]


def test_declining_keeps_the_reason_and_frees_the_units(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore, quantity=2)
    line = {"fulfillmentLineItemId": ids["fli"], "quantity": 2, "returnReason": "DEFECTIVE"}
    ret = request(devstore, order, line)["return"]
    got = devstore.graphql(
        DECLINE,
        {"input": {"id": ret["id"], "declineReason": "FINAL_SALE", "declineNote": "Sale items are final."}},
    )["data"]["returnDeclineRequest"]
    assert got == {
        "return": {
            "id": ret["id"],
            "status": "DECLINED",
            "decline": {"reason": "FINAL_SALE", "note": "Sale items are final."},
        },
        "userErrors": [],
    }
    (rest,) = devstore.returns(order["legacy_id"])
    assert rest["status"] == "declined"
    assert rest["decline"] == {"reason": "final_sale", "note": "Sale items are final."}
    again = devstore.graphql(DECLINE, {"input": {"id": ret["id"], "declineReason": "OTHER"}})
    assert again["data"]["returnDeclineRequest"]["userErrors"] == [
        {"field": ["input", "id"], "message": "The return is already declined.", "code": "INVALID_STATE"}
    ]
    # A declined return holds nothing: the same units can be asked for again.
    second = request(devstore, order, line)
    assert second["userErrors"] == [] and second["return"]["name"].endswith("-R2")


UNKNOWN_RETURN = "gid://shopify/Return/999999999991"


@pytest.mark.parametrize(
    ("mutation", "given"),
    [(APPROVE, {"id": UNKNOWN_RETURN}), (DECLINE, {"id": UNKNOWN_RETURN, "declineReason": "OTHER"})],
)
def test_an_unknown_return_is_not_found(devstore: Devstore, mutation: str, given: dict) -> None:
    got = devstore.graphql(mutation, {"input": given})
    (payload,) = got["data"].values()
    assert payload == {
        "return": None,
        "userErrors": [{"field": ["input", "id"], "message": "Return not found.", "code": "NOT_FOUND"}],
    }
    missing = devstore.graphql("query($id: ID!) { return(id: $id) { id } }", {"id": UNKNOWN_RETURN})
    assert missing["data"] == {"return": None}


def test_only_what_is_left_to_return_can_be_asked_for(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore, quantity=2)
    first = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"}
    )
    devstore.graphql(APPROVE, {"input": {"id": first["return"]["id"]}})
    # As return-quantity-validation.json: 2 shipped, 1 in an open return, 2 asked.
    got = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 2, "returnReason": "UNWANTED"}
    )
    assert got == {
        "return": None,
        "userErrors": [
            {
                "field": ["input", "returnLineItems", "0", "quantity"],
                "message": "Return line item has an invalid quantity.",
                "code": "INVALID",
            }
        ],
    }
    # Two lines of one request count together.
    both = request(
        devstore,
        order,
        {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"},
        {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "COLOR"},
    )
    assert [e["field"] for e in both["userErrors"]] == [["input", "returnLineItems", "1", "quantity"]]
    assert len(devstore.returns(order["legacy_id"])) == 1


def test_unfulfilled_units_cannot_be_returned(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore, quantity=3, ship=1)
    got = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 2, "returnReason": "UNWANTED"}
    )
    assert got["userErrors"][0]["code"] == "INVALID"
    unshipped = devstore.create_order(line_items=[{"title": "Mug", "quantity": 1, "price": "8.00"}])
    assert devstore.graphql(FULFILLMENTS, {"id": unshipped["id"]})["data"]["order"]["fulfillments"] == []
    # Another order's fulfillment line item is not this order's (the shape of the recorded unknown one).
    other = request(
        devstore, unshipped, {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"}
    )
    assert other == {
        "return": None,
        "userErrors": [
            {
                "field": ["input", "returnLineItems", "0", "fulfillmentLineItemId"],
                "message": "Fulfillment Line Item was not found.",
                "code": "NOT_FOUND",
            }
        ],
    }


def test_a_request_is_refused_without_quantity_reason_or_order(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore)
    zero = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 0, "returnReason": "UNWANTED"}
    )
    assert zero["userErrors"] == [
        {
            "field": ["input", "returnLineItems", "0", "quantity"],
            "message": "Quantity must be greater than 0",
            "code": "GREATER_THAN",
        }
    ]
    no_reason = request(devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 1})
    assert no_reason["userErrors"] == [
        {
            "field": ["input", "returnLineItems", "0", "returnReason"],
            "message": "Return reason can't be blank",
            "code": "BLANK",
        }
    ]
    unknown = devstore.graphql(
        REQUEST,
        {
            "input": {
                "orderId": "gid://shopify/Order/1",
                "returnLineItems": [
                    {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "OTHER"}
                ],
            }
        },
    )["data"]["returnRequest"]
    assert unknown == {
        "return": None,
        "userErrors": [
            {"field": ["input", "orderId"], "message": "Order was not found.", "code": "NOT_FOUND"}
        ],
    }
    assert request(devstore, order)["userErrors"][0]["field"] == ["input", "returnLineItems"]
    assert devstore.returns(order["legacy_id"]) == []


def test_returns_send_their_webhooks_to_subscribers(hooked: Devstore, receiver: Receiver) -> None:
    subscribe = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { userErrors { message } } }"""
    for topic in ("RETURNS_REQUEST", "RETURNS_APPROVE", "RETURNS_DECLINE"):
        got = hooked.graphql(subscribe, {"topic": topic, "sub": {"uri": receiver.url}})
        assert got["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    order, ids = shipped_order(hooked, quantity=2)
    wait_for(lambda: receiver.by_topic("orders/fulfilled"))
    updates_before = len(receiver.by_topic("orders/updated"))
    line = {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"}
    first = request(hooked, order, line)["return"]
    second = request(hooked, order, line)["return"]
    hooked.graphql(APPROVE, {"input": {"id": first["id"]}})
    hooked.graphql(DECLINE, {"input": {"id": second["id"], "declineReason": "RETURN_PERIOD_ENDED"}})

    requested = [
        json.loads(r["body"])
        for r in wait_for(
            lambda: len(receiver.by_topic("returns/request")) == 2 and receiver.by_topic("returns/request")
        )
    ]
    assert requested[0]["admin_graphql_api_id"] == first["id"] and requested[0]["status"] == "requested"
    assert requested[0]["order"]["admin_graphql_api_id"] == order["id"]
    assert requested[0]["name"] == first["name"] and requested[0]["total_return_line_items"] == 1
    (item,) = requested[0]["return_line_items"]
    assert item["quantity"] == 1 and item["return_reason"] == "unwanted"
    assert item["fulfillment_line_item"]["admin_graphql_api_id"] == ids["fli"]
    assert item["fulfillment_line_item"]["line_item"]["admin_graphql_api_id"] == ids["line"]
    approved = json.loads(wait_for(lambda: receiver.by_topic("returns/approve"))[0]["body"])
    assert approved["admin_graphql_api_id"] == first["id"] and approved["status"] == "open"
    declined = json.loads(wait_for(lambda: receiver.by_topic("returns/decline"))[0]["body"])
    assert declined == {
        "id": int(second["id"].rsplit("/", 1)[1]),
        "admin_graphql_api_id": second["id"],
        "status": "declined",
        "decline": {"reason": "return_period_ended", "note": None},
    }
    # Each change is an orders/updated too.
    wait_for(lambda: len(receiver.by_topic("orders/updated")) == updates_before + 4)


def test_a_merchant_decides_in_the_admin_through_the_control_api(
    hooked: Devstore, receiver: Receiver
) -> None:
    subscribe = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { userErrors { message } } }"""
    for topic in ("RETURNS_APPROVE", "RETURNS_DECLINE"):
        hooked.graphql(subscribe, {"topic": topic, "sub": {"uri": receiver.url}})
    order, ids = shipped_order(hooked, quantity=2)
    line = {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "UNWANTED"}
    first = request(hooked, order, line)["return"]
    second = request(hooked, order, line)["return"]

    opened = hooked.approve_return(first["id"])
    declined = hooked.decline_return(second["id"], reason="final_sale", note="Sale items are final.")

    assert (opened["admin_graphql_api_id"], opened["status"]) == (first["id"], "open")
    assert declined["status"] == "declined"
    assert declined["decline"] == {"reason": "final_sale", "note": "Sale items are final."}
    read = hooked.graphql(RETURNS, {"id": order["id"]})["data"]["order"]["returns"]["nodes"]
    assert [(r["status"], r["decline"]) for r in read] == [
        ("OPEN", None),
        ("DECLINED", {"reason": "FINAL_SALE", "note": "Sale items are final."}),
    ]
    approved = json.loads(wait_for(lambda: receiver.by_topic("returns/approve"))[0]["body"])
    assert approved["admin_graphql_api_id"] == first["id"] and approved["status"] == "open"
    assert approved["order"]["admin_graphql_api_id"] == order["id"]
    declined_body = json.loads(wait_for(lambda: receiver.by_topic("returns/decline"))[0]["body"])
    assert declined_body["decline"] == {"reason": "final_sale", "note": "Sale items are final."}


def test_the_control_api_decides_only_a_requested_return(devstore: Devstore) -> None:
    order, ids = shipped_order(devstore, quantity=1)
    ret = request(
        devstore, order, {"fulfillmentLineItemId": ids["fli"], "quantity": 1, "returnReason": "COLOR"}
    )
    devstore.decline_return(ret["return"]["id"])  # OTHER, no note by default
    assert devstore.returns(order["legacy_id"])[0]["decline"] == {"reason": "other", "note": None}

    for path, body, status, error in [
        (f"/_devstore/returns/{ret['return']['id'].rsplit('/', 1)[1]}/approve", {}, 409, "not approvable"),
        (f"/_devstore/returns/{ret['return']['id'].rsplit('/', 1)[1]}/decline", {}, 409, "already declined"),
        ("/_devstore/returns/999999/approve", {}, 404, "Return not found."),
        ("/_devstore/returns/999999/decline", {"reason": "bored"}, 400, "reason must be one of"),
    ]:
        got_status, got = devstore._request("POST", path, body)
        assert got_status == status and error in got["error"], path
