"""Calculated query cost and the leaky bucket, compared with Shopify's recorded numbers."""

from __future__ import annotations

import json

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse

from devstore.cost import CostCalculator
from devstore.testing import start_devstore, wait_for

from .conftest import RECORDINGS, SHOPIFY_SCHEMA, TOKEN, recording


def recorded_exchanges() -> list[tuple[str, str, dict, dict]]:
    """Every (file, document, variables, cost) a recording holds, for the order and fulfillment APIs."""
    found = []

    def walk(name: str, node: object) -> None:
        if isinstance(node, dict):
            doc = node.get("query") or node.get("document")
            resp = node.get("response")
            if isinstance(doc, str) and isinstance(resp, dict):
                body = resp.get("payload") or resp.get("body") or resp
                cost = (body.get("extensions") or {}).get("cost") if isinstance(body, dict) else None
                if cost:
                    found.append((name, doc, node.get("variables") or {}, cost))
            for value in node.values():
                walk(name, value)
        elif isinstance(node, list):
            for value in node:
                walk(name, value)

    for path in sorted(RECORDINGS.glob("*.json")):
        walk(path.name, json.loads(path.read_text()))
    # Product mutations use Shopify's input-dependent "dynamic complexity"; the devstore has no products.
    return [f for f in found if "productCreateMedia" not in f[1] and "productVariantsBulkUpdate" not in f[1]]


def test_requested_cost_matches_every_recorded_query() -> None:
    if not SHOPIFY_SCHEMA.exists():
        pytest.skip(f"Shopify's schema is not available ({SHOPIFY_SCHEMA} is absent)")
    schema = build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)
    exchanges = recorded_exchanges()
    assert len(exchanges) > 100
    for name, doc, variables, cost in exchanges:
        document = parse(doc)
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        got = CostCalculator(schema, operation, fragments, variables).requested()
        assert got == cost["requestedQueryCost"], (name, operation.name.value if operation.name else None)


def test_the_devstore_reports_the_recorded_cost_for_the_same_document(seeded) -> None:
    data = recording("orderCancel-error-messages.json")
    read = data["setup"]["cancelledOrderRead"]
    order_id = seeded.graphql("{ orders(first: 1) { nodes { id } } }")["data"]["orders"]["nodes"][0]["id"]
    result = seeded.graphql(read["query"], {"id": order_id})
    recorded = read["response"]["payload"]["extensions"]["cost"]
    assert result["extensions"]["cost"]["requestedQueryCost"] == recorded["requestedQueryCost"]
    page = recording("order-catalog-count-read.json")["nextPage"]
    doc = next(
        c["query"]
        for c in recording("order-catalog-count-read.json")["upstreamCalls"]
        if c["operationName"] == "OrderCatalogNextPage"
    )
    result = seeded.graphql(doc, {"tagQuery": "tag:vip", "pageSize": 1})
    assert (
        result["extensions"]["cost"]["requestedQueryCost"]
        == page["response"]["extensions"]["cost"]["requestedQueryCost"]
    )


def test_cost_extension_shape_and_actual_cost_follows_the_page_size(seeded) -> None:
    result = seeded.graphql('{ orders(first: 250, query: "email:demo@example.com") { nodes { id } } }')
    cost = result["extensions"]["cost"]
    assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    assert cost["requestedQueryCost"] == 2 + 11  # k(250) = 11, one point per order
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]
    assert cost["throttleStatus"]["maximumAvailable"] == 2000 and cost["throttleStatus"]["restoreRate"] == 100
    mutation_cost = seeded.graphql(
        'mutation { orderUpdate(input: {id: "gid://shopify/Order/1"}) '
        "{ order { id } userErrors { field message } } }"
    )["extensions"]["cost"]
    assert mutation_cost["requestedQueryCost"] == 10


def test_it_refuses_a_query_over_1000_points(seeded) -> None:
    doc = (
        "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } fulfillmentOrders(first: 250) "
        "{ nodes { lineItems(first: 250) { nodes { id } } } } } } }"
    )
    result = seeded.graphql(doc)
    assert "data" not in result and "extensions" not in result
    error = result["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == 1000
    assert error["message"].startswith(
        f"Query cost is {error['extensions']['cost']}, which exceeds the single query max cost limit (1000)."
    )


def test_a_small_bucket_throttles_and_refills() -> None:
    with start_devstore(seed=20, token=TOKEN, bucket=50, restore_rate=10) as store:
        doc = "{ orders(first: 50) { nodes { id } } }"  # requested 2 + 7 = 9
        results = [store.graphql(doc) for _ in range(8)]
        throttled = [r for r in results if "errors" in r]
        assert throttled, "a 50-point bucket cannot take eight 9-point queries at once"
        first = throttled[0]
        assert "data" not in first
        assert first["errors"] == [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
        cost = first["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 9 and cost["actualQueryCost"] is None
        assert cost["throttleStatus"]["maximumAvailable"] == 50
        assert cost["throttleStatus"]["currentlyAvailable"] < 9
        # The bucket refills at 10 points a second: watch it through the control API (which costs nothing).
        wait_for(lambda: store.get("/_devstore/throttle")["currentlyAvailable"] >= 9, timeout=5)
        assert "errors" not in store.graphql(doc)
