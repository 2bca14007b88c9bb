"""Every GraphQL document the portal sends must be one Shopify's real schema accepts."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from shopify_sync.graphql import all_documents

DOCUMENTS = all_documents()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_document_validates_against_shopifys_schema(shopify_schema, name):
    errors = validate(shopify_schema, parse(DOCUMENTS[name]))

    assert [e.message for e in errors] == []


def test_there_are_documents_to_check():
    assert {"orders", "order_cancel", "order_update", "bulk_orders", "shop"} <= set(DOCUMENTS)
