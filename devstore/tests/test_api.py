"""Admin API reads over HTTP: auth, shop, orders paging, search filters and sort keys."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from devstore.testing import Devstore

ORDERS_PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $query: String, $sortKey: OrderSortKeys,
           $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query, sortKey: $sortKey,
         reverse: $reverse) {
    edges { cursor node { id legacyResourceId name email createdAt updatedAt processedAt cancelledAt closed
      displayFinancialStatus displayFulfillmentStatus tags } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def page(store: Devstore, **variables) -> dict:
    result = store.graphql(ORDERS_PAGE, variables)
    assert "errors" not in result, result
    return result["data"]["orders"]


def all_orders(store: Devstore, query: str | None = None, **kw) -> list[dict]:
    out, after = [], None
    while True:
        got = page(store, first=250, after=after, query=query, **kw)
        out += [e["node"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            return out
        after = got["pageInfo"]["endCursor"]


def test_it_refuses_a_missing_or_wrong_token_with_shopifys_401_body(seeded: Devstore) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "wrong"}):
        request = urllib.request.Request(
            seeded.graphql_url(), data=json.dumps({"query": "{ shop { name } }"}).encode(), headers=headers
        )
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request, timeout=5)
        assert exc.value.code == 401
        assert exc.value.read() == (
            b'{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}'
        )


def test_it_answers_shop(seeded: Devstore) -> None:
    shop = seeded.graphql("{ shop { name myshopifyDomain ianaTimezone currencyCode } }")["data"]["shop"]
    assert shop == {
        "name": "Devstore",
        "myshopifyDomain": "devstore.myshopify.com",
        "ianaTimezone": "Asia/Seoul",
        "currencyCode": "USD",
    }


def test_it_pages_forward_and_backward_over_500_orders(seeded: Devstore) -> None:
    forward: list[str] = []
    after = None
    first_page = page(seeded, first=100)
    assert first_page["pageInfo"]["hasPreviousPage"] is False
    while True:
        got = page(seeded, first=100, after=after)
        forward += [e["node"]["id"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert len(forward) == 500 and len(set(forward)) == 500
    assert forward == sorted(forward, key=lambda g: int(g.rsplit("/", 1)[1]))

    backward: list[str] = []
    before = None
    while True:
        got = page(seeded, last=100, before=before)
        backward = [e["node"]["id"] for e in got["edges"]] + backward
        if not got["pageInfo"]["hasPreviousPage"]:
            break
        before = got["pageInfo"]["startCursor"]
    assert backward == forward


def test_edges_cursors_and_nodes_agree(seeded: Devstore) -> None:
    result = seeded.graphql("{ orders(first: 3) { nodes { id } edges { cursor node { id } } } }")["data"][
        "orders"
    ]
    assert [n["id"] for n in result["nodes"]] == [e["node"]["id"] for e in result["edges"]]
    cursor = json.loads(__import__("base64").b64decode(result["edges"][0]["cursor"]))
    assert set(cursor) == {"last_id", "last_value"}


@pytest.mark.parametrize(
    ("sort_key", "field"),
    [
        ("CREATED_AT", "createdAt"),
        ("UPDATED_AT", "updatedAt"),
        ("PROCESSED_AT", "processedAt"),
        ("ID", "legacyResourceId"),
    ],
)
@pytest.mark.parametrize("reverse", [False, True])
def test_it_sorts_by_each_key(seeded: Devstore, sort_key: str, field: str, reverse: bool) -> None:
    nodes = all_orders(seeded, sortKey=sort_key, reverse=reverse)
    values = [int(n[field]) if field == "legacyResourceId" else n[field] for n in nodes]
    assert len(values) == 500
    assert values == sorted(values, reverse=reverse)


def test_sorted_paging_by_updated_at_is_gapless(seeded: Devstore) -> None:
    ids, after = [], None
    while True:
        got = page(seeded, first=37, after=after, sortKey="UPDATED_AT")
        ids += [e["node"]["id"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert len(ids) == len(set(ids)) == 500


def test_it_filters_by_date_comparisons(seeded: Devstore) -> None:
    everything = all_orders(seeded)
    pivot = sorted(o["updatedAt"] for o in everything)[250]
    for op, check in (
        (">", lambda v: v > pivot),
        (">=", lambda v: v >= pivot),
        ("<", lambda v: v < pivot),
        ("<=", lambda v: v <= pivot),
    ):
        got = all_orders(seeded, query=f"updated_at:{op}'{pivot}'")
        assert {o["id"] for o in got} == {o["id"] for o in everything if check(o["updatedAt"])}, op
    created = all_orders(seeded, query=f"created_at:>={pivot[:10]}T00:00:00Z")
    assert created and all(o["createdAt"] >= pivot[:10] for o in created)
    processed = all_orders(seeded, query=f"processed_at:<'{pivot}'")
    assert processed and all(o["processedAt"] < pivot for o in processed)


def test_it_filters_by_status(seeded: Devstore) -> None:
    everything = all_orders(seeded)
    cancelled = all_orders(seeded, query="status:cancelled")
    assert cancelled and all(o["cancelledAt"] for o in cancelled)
    open_ = all_orders(seeded, query="status:open")
    assert open_ and all(not o["closed"] and not o["cancelledAt"] for o in open_)
    closed = all_orders(seeded, query="status:closed")
    assert closed and all(o["closed"] for o in closed)
    assert len(all_orders(seeded, query="status:any")) == len(everything)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("unshipped", {"UNFULFILLED", "ON_HOLD"}),
        ("unfulfilled", {"UNFULFILLED", "ON_HOLD"}),
        ("shipped", {"FULFILLED"}),
        ("fulfilled", {"FULFILLED"}),
        ("partial", {"PARTIALLY_FULFILLED"}),
    ],
)
def test_it_filters_by_fulfillment_status(seeded: Devstore, value: str, expected: set[str]) -> None:
    got = all_orders(seeded, query=f"fulfillment_status:{value}")
    assert got and {o["displayFulfillmentStatus"] for o in got} <= expected


@pytest.mark.parametrize("value", ["paid", "pending", "refunded", "partially_refunded", "authorized"])
def test_it_filters_by_financial_status(seeded: Devstore, value: str) -> None:
    got = all_orders(seeded, query=f"financial_status:{value}")
    assert got and {o["displayFinancialStatus"] for o in got} == {value.upper()}


def test_it_filters_by_email_name_and_tag_combined(seeded: Devstore) -> None:
    demo = all_orders(seeded, query="email:demo@example.com")
    assert len(demo) >= 3 and {o["email"] for o in demo} == {"demo@example.com"}
    one = demo[0]
    assert [o["id"] for o in all_orders(seeded, query=f"name:{one['name']}")] == [one["id"]]
    assert [o["id"] for o in all_orders(seeded, query=f"name:{one['name'].lstrip('#')}")] == [one["id"]]
    tagged = all_orders(seeded, query="tag:vip")
    assert tagged and all("vip" in o["tags"] for o in tagged)
    both = all_orders(seeded, query="tag:vip AND financial_status:paid")
    spaced = all_orders(seeded, query="tag:vip financial_status:paid")
    assert both == spaced and all(o["displayFinancialStatus"] == "PAID" and "vip" in o["tags"] for o in both)


def test_unknown_search_fields_are_ignored_with_a_warning(seeded: Devstore) -> None:
    result = seeded.graphql('{ orders(first: 1, query: "made_up:value") { nodes { id } } }')
    assert len(result["data"]["orders"]["nodes"]) == 1
    assert result["extensions"]["search"][0]["warnings"] == [
        {"field": "made_up", "message": "Invalid search field for this query.", "code": "invalid_field"}
    ]


def test_order_customer_and_nodes_lookups(seeded: Devstore) -> None:
    first = seeded.graphql("{ orders(first: 1) { nodes { id customer { id email displayName } } } }")
    order = first["data"]["orders"]["nodes"][0]
    doc = """query($id: ID!, $c: ID!) { order(id: $id) { id name } node(id: $id) { id ... on Order { name } }
      nodes(ids: [$id, "gid://shopify/Order/1"]) { id } customer(id: $c) { id email } }"""
    data = seeded.graphql(doc, {"id": order["id"], "c": order["customer"]["id"]})["data"]
    assert data["order"]["id"] == data["node"]["id"] == order["id"]
    assert data["nodes"] == [{"id": order["id"]}, None]
    assert data["customer"]["email"] == order["customer"]["email"]
    customers = seeded.graphql('{ customers(first: 5, query: "email:demo@example.com") { nodes { email } } }')
    assert customers["data"]["customers"]["nodes"] == [{"email": "demo@example.com"}]


def test_validation_errors_come_back_like_shopify(seeded: Devstore) -> None:
    result = seeded.graphql("{ shop { nope } }")
    assert "data" not in result
    assert result["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Shop'"
    assert result["errors"][0]["extensions"]["code"] == "undefinedField"
    assert result["errors"][0]["locations"] == [{"line": 1, "column": 10}]


def test_the_seed_covers_every_region_currency_and_state(seeded: Devstore) -> None:
    everything = seeded.orders()
    assert {o["shipping_address"]["country_code"] for o in everything} == {"KR", "US", "CA", "JP", "DE", "GB"}
    assert {"KRW", "USD", "EUR", "JPY"} <= {o["currency"] for o in everything}
    krw = next(o for o in everything if o["currency"] == "KRW")
    assert "." not in krw["total_price"]
    assert {o["financial_status"] for o in everything} >= {
        "paid",
        "pending",
        "refunded",
        "partially_refunded",
    }
    assert {o["fulfillment_status"] for o in everything} == {None, "partial", "fulfilled"}
    assert any(o["cancelled_at"] for o in everything)


def test_an_orders_line_items_page_forward_with_their_cursor(seeded: Devstore) -> None:
    created = seeded.create_order(
        line_items=[{"title": f"Sock {i}", "quantity": 1, "price": "3.00"} for i in range(23)]
    )
    doc = """query($id: ID!, $after: String) { order(id: $id) {
      lineItems(first: 10, after: $after) { nodes { title } pageInfo { hasNextPage endCursor } } } }"""
    titles, after = [], None
    while True:
        lines = seeded.graphql(doc, {"id": created["id"], "after": after})["data"]["order"]["lineItems"]
        titles += [n["title"] for n in lines["nodes"]]
        if not lines["pageInfo"]["hasNextPage"]:
            break
        after = lines["pageInfo"]["endCursor"]

    assert titles == [f"Sock {i}" for i in range(23)]


def test_a_line_says_whether_it_is_a_gift_card_and_needs_shipping_in_graphql_and_rest(
    devstore: Devstore,
) -> None:
    created = devstore.create_order(
        line_items=[
            {
                "title": "Gift card",
                "quantity": 1,
                "price": "50.00",
                "requires_shipping": False,
                "gift_card": True,
            },
            {"title": "E-book", "quantity": 1, "price": "9.00", "requires_shipping": False},
            {"title": "Mug", "quantity": 1, "price": "12.00"},
        ]
    )
    doc = """query($id: ID!) { order(id: $id) { lineItems(first: 10) { nodes {
      title requiresShipping isGiftCard } } } }"""

    nodes = devstore.graphql(doc, {"id": created["id"]})["data"]["order"]["lineItems"]["nodes"]
    rest = devstore.order(created["legacy_id"])["line_items"]

    assert nodes == [
        {"title": "Gift card", "requiresShipping": False, "isGiftCard": True},
        {"title": "E-book", "requiresShipping": False, "isGiftCard": False},
        {"title": "Mug", "requiresShipping": True, "isGiftCard": False},
    ]
    assert [(li["title"], li["requires_shipping"], li["gift_card"]) for li in rest] == [
        ("Gift card", False, True),
        ("E-book", False, False),
        ("Mug", True, False),
    ]


REFUND_WITH_KEY = """mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}"""


def _refund_input(store: Devstore, order: dict, amount: str) -> dict:
    parent = store.graphql(
        "query($id: ID!) { order(id: $id) { transactions { id kind } } }", {"id": order["id"]}
    )["data"]["order"]["transactions"][0]["id"]
    return {
        "orderId": order["id"],
        "note": "idempotency",
        "transactions": [
            {
                "orderId": order["id"],
                "kind": "REFUND",
                "gateway": "manual",
                "amount": amount,
                "parentId": parent,
            }
        ],
    }


def test_a_refund_retried_with_its_idempotency_key_is_created_once(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD", line_items=[{"title": "A", "quantity": 1, "price": "30.00"}]
    )
    refund = _refund_input(devstore, order, "10.00")

    first = devstore.graphql(REFUND_WITH_KEY, {"input": refund, "key": "key-1"})["data"]["refundCreate"]
    retry = devstore.graphql(REFUND_WITH_KEY, {"input": refund, "key": "key-1"})["data"]["refundCreate"]
    other = devstore.graphql(REFUND_WITH_KEY, {"input": refund, "key": "key-2"})["data"]["refundCreate"]

    assert first["userErrors"] == retry["userErrors"] == other["userErrors"] == []
    assert retry["refund"]["id"] == first["refund"]["id"]  # the original refund, not a second one
    assert other["refund"]["id"] != first["refund"]["id"]  # another key is another refund
    assert len(devstore.order(order["legacy_id"])["refunds"]) == 2


def test_an_idempotency_key_reused_with_another_input_is_refused(devstore: Devstore) -> None:
    order = devstore.create_order(
        currency="USD", line_items=[{"title": "A", "quantity": 1, "price": "30.00"}]
    )

    devstore.graphql(REFUND_WITH_KEY, {"input": _refund_input(devstore, order, "10.00"), "key": "reused"})
    reused = devstore.graphql(
        REFUND_WITH_KEY, {"input": _refund_input(devstore, order, "5.00"), "key": "reused"}
    )

    result = reused["data"]["refundCreate"]
    assert result["refund"] is None
    assert result["userErrors"] == [
        {
            "field": None,
            "message": "The same idempotency key cannot be used with different operation parameters.",
        }
    ]
    assert len(devstore.order(order["legacy_id"])["refunds"]) == 1
