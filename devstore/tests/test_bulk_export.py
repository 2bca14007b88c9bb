"""The direct bulk export (bulk_export.py) writes the very rows the paged GraphQL run writes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from devstore import bulk, bulk_export, protected_data
from devstore.app import App, Config

# The shape of the portal's full import (shopify_sync/graphql/bulk_orders.graphql), with a fragment.
PORTAL_EXPORT = """
{
  orders {
    edges {
      node {
        id legacyResourceId name email createdAt updatedAt processedAt cancelledAt cancelReason closed
        displayFinancialStatus displayFulfillmentStatus tags note
        risk { assessments { riskLevel } }
        currencyCode presentmentCurrencyCode
        totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
        currentTotalPriceSet { shopMoney { amount } presentmentMoney { amount } }
        totalRefundedSet { shopMoney { amount currencyCode } }
        shippingAddress { ...Address }
        customer { id legacyResourceId firstName lastName defaultEmailAddress { emailAddress } }
        lineItems {
          edges {
            node {
              id title variantTitle sku quantity currentQuantity unfulfilledQuantity
              requiresShipping isGiftCard
              originalUnitPriceSet {
                shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }
              }
              image { url }
            }
          }
        }
      }
    }
  }
}
fragment Address on MailingAddress {
  firstName lastName company address1 address2 city province provinceCode country countryCodeV2 zip phone
}
"""
SEARCH_SORTED_NODES = """
{
  orders(query: "financial_status:paid", sortKey: UPDATED_AT, reverse: true) {
    nodes { __typename id name alias: email lineItems { nodes { id title quantity } } }
  }
}
"""


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    app = App(Config(seed=400, port=0))
    app.start()
    yield app
    app.stop()


def _parts(app: App, query: str) -> tuple[OperationDefinitionNode, object, list]:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    field = bulk._top_connections(app, document)[0]
    fragments = [d for d in document.definitions if not isinstance(d, OperationDefinitionNode)]
    return operation, field, fragments


def _paged(app: App, query: str) -> tuple[str, bulk.Counts]:
    operation, field, fragments = _parts(app, query)
    out, counts = io.StringIO(), bulk.Counts()
    bulk._run_paged(app, operation, field, fragments, out, counts)  # type: ignore[arg-type]
    return out.getvalue(), counts


def _direct(app: App, query: str) -> tuple[str, bulk.Counts]:
    operation, field, fragments = _parts(app, query)
    named = {d.name.value: d for d in fragments if isinstance(d, FragmentDefinitionNode)}
    export = bulk_export.OrdersExport(app, operation, field, named)  # type: ignore[arg-type]
    out, counts = io.StringIO(), bulk.Counts()
    bulk._run_direct(export, out, counts)
    return out.getvalue(), counts


@pytest.mark.parametrize(
    "query", [PORTAL_EXPORT, SEARCH_SORTED_NODES], ids=["portal-import", "search-sort-nodes"]
)
def test_the_direct_export_writes_the_rows_the_graphql_run_writes(app: App, query: str) -> None:
    expected, expected_counts = _paged(app, query)
    written, counts = _direct(app, query)

    assert written == expected
    assert counts == expected_counts and counts.roots > 0 and counts.objects > counts.roots
    rows = [json.loads(line) for line in written.splitlines()]
    assert len(rows) == counts.objects


def test_a_query_it_does_not_cover_is_left_to_graphql(app: App) -> None:
    for query in (
        "{ customers { edges { node { id } } } }",
        "{ orders { edges { node { id name @include(if: true) } } } }",
        "{ orders { e: edges { node { id } } } }",
    ):
        operation, field, _fragments = _parts(app, query)
        with pytest.raises(bulk_export.Unsupported):
            bulk_export.OrdersExport(app, operation, field, {})  # type: ignore[arg-type]


def test_a_refused_protected_field_fails_it_as_access_denied(app: App) -> None:
    app.protected_fields = frozenset()
    try:
        with pytest.raises(bulk.BulkFailed) as failed:
            _direct(app, PORTAL_EXPORT)
    finally:
        app.protected_fields = protected_data.ALL
    assert failed.value.code == "ACCESS_DENIED"
