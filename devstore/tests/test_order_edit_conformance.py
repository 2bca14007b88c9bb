"""orderEditAddVariant and the commit of an added variant, answered as Shopify answered them: the same
documents and variables as order-edit-existing-order-happy-path.json and orderEdit-quantity-validation.json,
in a store that sells in CAD like the recorded one. The devstore's ids are mapped to the recorded ones, so
whole answers are compared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstore.testing import Devstore, start_devstore

from .conftest import TOKEN


@pytest.fixture(scope="module")
def cad_store() -> Iterator[Devstore]:
    with start_devstore(token=TOKEN, extra_args=["--currency", "CAD"]) as store:
        yield store


def load(recordings_dir: Path, name: str) -> dict:
    return json.loads((recordings_dir / name).read_text())


def as_recorded(data: Any, ids: dict[str, str]) -> Any:
    """``data`` with the devstore's ids (and other values that differ by nature) as the recording has them."""
    text = json.dumps(data)
    for ours, theirs in ids.items():
        text = text.replace(json.dumps(ours), json.dumps(theirs))
    return json.loads(text)


def variant_hydrate(recording: dict) -> dict:
    return next(
        c for c in recording["upstreamCalls"] if c["operationName"] == "OrdersDraftOrderVariantHydrate"
    )


def test_quantity_checks_and_an_added_variant_match_the_recording(
    cad_store: Devstore, recordings_dir: Path
) -> None:
    rec = load(recordings_dir, "orderEdit-quantity-validation.json")
    recorded_variant = variant_hydrate(rec)["response"]["body"]["data"]["productVariant"]
    snowboard = cad_store.create_product(
        title=recorded_variant["product"]["title"],
        variants=[
            {"price": recorded_variant["price"], "sku": recorded_variant["sku"], "inventory_management": None}
        ],
    )["variants"][0]
    order = cad_store.create_order(
        currency="CAD",
        line_items=[
            {
                "title": "Order edit quantity source item 20260622212047",
                "sku": "order-edit-quantity-20260622212047",
                "quantity": 3,
                "price": "10.00",
            }
        ],
    )
    hydrate = variant_hydrate(rec)
    ids = {
        snowboard["admin_graphql_api_id"]: hydrate["variables"]["id"],
        order["id"]: rec["begin"]["variables"]["id"],
    }
    got = cad_store.graphql(hydrate["query"], {"id": snowboard["admin_graphql_api_id"]})
    assert as_recorded(got["data"], ids) == hydrate["response"]["body"]["data"]

    begun = cad_store.graphql(rec["begin"]["query"], {"id": order["id"]})
    calculated = begun["data"]["orderEditBegin"]["calculatedOrder"]
    recorded_begin = rec["begin"]["response"]["payload"]["data"]["orderEditBegin"]
    ids |= {
        calculated["id"]: recorded_begin["calculatedOrder"]["id"],
        begun["data"]["orderEditBegin"]["orderEditSession"]["id"]: recorded_begin["orderEditSession"]["id"],
        calculated["lineItems"]["nodes"][0]["id"]: recorded_begin["calculatedOrder"]["lineItems"]["nodes"][0][
            "id"
        ],
        order["name"]: recorded_begin["calculatedOrder"]["originalOrder"]["name"],
    }
    assert as_recorded(begun["data"]["orderEditBegin"], ids) == recorded_begin

    ours = {theirs: mine for mine, theirs in ids.items()}
    for name in ("addVariantZero", "addVariantNegative", "addVariantHappyPath"):
        case = rec["cases"][name]
        got = cad_store.graphql(case["query"], as_recorded(case["variables"], ours))
        expected = case["response"]["payload"]
        if name == "addVariantHappyPath":
            added = got["data"]["orderEditAddVariant"]["calculatedLineItem"]["id"]
            ids[added] = expected["data"]["orderEditAddVariant"]["calculatedLineItem"]["id"]
        # The rejected calls left the edit as it was: the last answer holds one added line only.
        assert as_recorded(got["data"], ids) == expected["data"], name
        assert (
            got["extensions"]["cost"]["requestedQueryCost"]
            == expected["extensions"]["cost"]["requestedQueryCost"]
        )


BEGIN = """mutation OrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      originalOrder { id name }
      lineItems(first: 10) {
        nodes {
          id title quantity sku variant { id } originalUnitPriceSet { shopMoney { amount currencyCode } }
        }
      }
      addedLineItems(first: 10) { nodes { id title quantity sku variant { id } } }
    }
    orderEditSession { id }
    userErrors { field message }
  }
}"""
ADD_VARIANT = """mutation OrderEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!, $locationId: ID,
    $allowDuplicates: Boolean) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, locationId: $locationId,
      allowDuplicates: $allowDuplicates) {
    calculatedLineItem {
      title quantity sku variant { id } originalUnitPriceSet { shopMoney { amount currencyCode } }
    }
    orderEditSession { id }
    userErrors { field message }
  }
}"""
COMMIT = """mutation OrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order {
      id name updatedAt note
      lineItems(first: 10) {
        nodes {
          id title quantity currentQuantity sku variant { id }
          originalUnitPriceSet { shopMoney { amount currencyCode } }
        }
      }
    }
    successMessages
    userErrors { field message }
  }
}"""


def test_adding_a_variant_and_committing_matches_the_happy_path(
    cad_store: Devstore, recordings_dir: Path
) -> None:
    rec = load(recordings_dir, "order-edit-existing-order-happy-path.json")
    recorded_variant = variant_hydrate(rec)["response"]["body"]["data"]["productVariant"]
    snowboard = cad_store.create_product(
        title=recorded_variant["product"]["title"],
        variants=[{"price": recorded_variant["price"], "inventory_quantity": 5}],
    )["variants"][0]
    recorded_begin = rec["mutation"]["response"]["data"]["orderEditBegin"]
    recorded_lines = recorded_begin["calculatedOrder"]["lineItems"]["nodes"]
    order = cad_store.create_order(
        currency="CAD",
        note=rec["commitAdd"]["response"]["data"]["orderEditCommit"]["order"]["note"],
        line_items=[{"title": line["title"], "quantity": 1, "price": "12.00"} for line in recorded_lines],
    )
    hydrate = variant_hydrate(rec)
    ids = {snowboard["admin_graphql_api_id"]: hydrate["variables"]["id"], order["id"]: rec["variables"]["id"]}
    got = cad_store.graphql(hydrate["query"], {"id": snowboard["admin_graphql_api_id"]})
    assert as_recorded(got["data"], ids) == hydrate["response"]["body"]["data"]
    assert got["extensions"]["cost"]["requestedQueryCost"] == 3

    begun = cad_store.graphql(BEGIN, {"id": order["id"]})
    mine = begun["data"]["orderEditBegin"]
    ids |= {
        mine["calculatedOrder"]["id"]: recorded_begin["calculatedOrder"]["id"],
        mine["orderEditSession"]["id"]: recorded_begin["orderEditSession"]["id"],
        order["name"]: recorded_begin["calculatedOrder"]["originalOrder"]["name"],
    }
    for line, recorded in zip(mine["calculatedOrder"]["lineItems"]["nodes"], recorded_lines, strict=True):
        ids[line["id"]] = recorded["id"]
        ids[line["id"].replace("CalculatedLineItem", "LineItem")] = recorded["id"].replace(
            "CalculatedLineItem", "LineItem"
        )
    assert as_recorded(mine, ids) == recorded_begin
    assert (
        begun["extensions"]["cost"]["requestedQueryCost"]
        == rec["mutation"]["response"]["extensions"]["cost"]["requestedQueryCost"]
    )

    variables = rec["addVariant"]["variables"] | {
        "id": mine["calculatedOrder"]["id"],
        "variantId": snowboard["admin_graphql_api_id"],
        "locationId": "gid://shopify/Location/1",
    }
    added = cad_store.graphql(ADD_VARIANT, variables)
    assert as_recorded(added["data"], ids) == rec["addVariant"]["response"]["data"]
    assert added["extensions"]["cost"]["requestedQueryCost"] == 11

    committed = cad_store.graphql(
        COMMIT, rec["commitAdd"]["variables"] | {"id": mine["calculatedOrder"]["id"]}
    )
    got_order = committed["data"]["orderEditCommit"]["order"]
    expected = rec["commitAdd"]["response"]["data"]["orderEditCommit"]
    new_line = got_order["lineItems"]["nodes"][2]["id"]
    ids[new_line] = expected["order"]["lineItems"]["nodes"][2]["id"]
    ids[got_order["updatedAt"]] = expected["order"]["updatedAt"]
    assert as_recorded(committed["data"]["orderEditCommit"], ids) == expected
    assert (
        committed["extensions"]["cost"]["requestedQueryCost"]
        == rec["commitAdd"]["response"]["extensions"]["cost"]["requestedQueryCost"]
    )
    assert cad_store.variant(snowboard["id"])["inventory_quantity"] == 4
