"""The access scopes the portal uses, and why: what a Dev Dashboard app must request, and no more.

Kept in step with `shopify_sync/graphql/` and with the README's list (a test compares them). Shopify
treats `write_x` as including `read_x`.
"""

from __future__ import annotations

from collections.abc import Iterable

REQUIRED_SCOPES: dict[str, str] = {
    "read_orders": "orders, their transactions and cancel jobs (sync, pages, push); orders/* webhooks",
    "write_orders": "orderCancel, orderUpdate (shipping address) and refundCreate: the merchant's decisions",
    "read_all_orders": "orders older than 60 days: the full import and shoppers' order history",
    "read_customers": "the customer of an order, which lets a signed-in shopper see it",
    "write_order_edits": "orderEditBegin, …SetQuantity, …AddVariant, …Commit: item edits, priced by Shopify",
    "read_products": "the other variants (sizes, colours) a line can be swapped for, with their stock",
    "write_gift_cards": "giftCardCreate: the store credit a shopper gets for keeping an order (an offer)",
    "write_returns": (
        "returnRequest, returnApproveRequest, returnDeclineRequest; the order's returns; returns/* webhooks"
    ),
    "write_merchant_managed_fulfillment_orders": (
        "fulfilment holds during the windows; the store's fulfilment orders, fulfillment_orders/* webhooks"
    ),
    "write_third_party_fulfillment_orders": (
        "the same for fulfilment orders at a fulfilment service's location (accepted: in progress)"
    ),
}

# The protected customer data (Level 2) the app must be given in the Dev Dashboard: without it Shopify
# returns these fields as null, and the portal can match no shopper to an order and show no address.
PROTECTED_FIELDS = ("name", "email", "address")
_ADDRESS_PARTS = (
    "address1",
    "address2",
    "city",
    "province",
    "provinceCode",
    "country",
    "countryCodeV2",
    "zip",
)
# Shopify's GraphQL field -> the protected field the Dev Dashboard names.
_PROTECTED_FIELD_OF = {
    "firstName": "name",
    "lastName": "name",
    "name": "name",
    "email": "email",
    "defaultEmailAddress": "email",
    "phone": "phone",
    **dict.fromkeys(_ADDRESS_PARTS, "address"),
}


def protected_fields_of(graphql_fields: Iterable[str]) -> list[str]:
    """The Dev Dashboard's names (name, email, phone, address) for the GraphQL fields Shopify withheld."""
    found = {_PROTECTED_FIELD_OF.get(field, field) for field in graphql_fields}
    return sorted(found)


def granted_scopes(handles: Iterable[str]) -> set[str]:
    """The scopes `handles` grant, a write scope counting as its read scope too."""
    granted = set(handles)
    granted |= {"read_" + handle.removeprefix("write_") for handle in granted if handle.startswith("write_")}
    return granted


def missing_scopes(handles: Iterable[str]) -> list[str]:
    granted = granted_scopes(handles)
    return [scope for scope in REQUIRED_SCOPES if scope not in granted]
