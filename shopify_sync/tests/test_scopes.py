"""The scopes the portal asks a store for: the ones it uses, listed where an operator reads them."""

from __future__ import annotations

import re
from pathlib import Path

from devstore.oauth import DEFAULT_SCOPES
from shopify_sync.scopes import REQUIRED_SCOPES, missing_scopes, protected_fields_of

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_write_scope_counts_as_its_read_scope():
    granted = [
        "write_orders",
        "read_all_orders",
        "read_customers",
        "write_order_edits",
        "read_products",
        "write_gift_cards",
        "write_returns",
        "write_merchant_managed_fulfillment_orders",
        "write_third_party_fulfillment_orders",
    ]
    assert missing_scopes(granted) == []
    assert missing_scopes(["read_orders", "read_products", "write_merchant_managed_fulfillment_orders"]) == [
        "write_orders",
        "read_all_orders",
        "read_customers",
        "write_order_edits",
        "write_gift_cards",
        "write_returns",
        "write_third_party_fulfillment_orders",
    ]


def test_the_readme_lists_exactly_the_scopes_the_portal_uses():
    section = README.read_text().split("## Connecting a real store", 1)[1].split("\n## ", 1)[0]
    table_scopes = re.findall(r"^\s*\| `(\w+)` \|", section, flags=re.MULTILINE)

    assert table_scopes == list(REQUIRED_SCOPES)


def test_the_devstore_grants_what_the_portal_needs_by_default():
    assert missing_scopes(DEFAULT_SCOPES.split(",")) == []


def test_withheld_graphql_fields_are_named_as_the_dev_dashboard_names_them():
    assert protected_fields_of(["firstName", "lastName", "address1", "email", "zip"]) == [
        "address",
        "email",
        "name",
    ]
