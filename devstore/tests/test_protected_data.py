"""Protected customer data: what an app without name, email, phone or address access reads and receives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstore.__main__ import parse_args
from devstore.protected_data import DOCUMENTATION
from devstore.testing import Devstore, DevstoreError, start_devstore, wait_for

from .conftest import SECRET, TOKEN, Receiver
from .test_webhooks import independent_hmac

ORDER = {
    "email": "hana@example.com",
    "phone": "+82 10-1234-5678",
    "customer": {"first_name": "Hana", "last_name": "Kim"},
    "line_items": [{"title": "Tee", "quantity": 2, "price": "15000", "sku": "TEE-1"}],
    "shipping_address": {
        "first_name": "Hana",
        "last_name": "Kim",
        "company": "Hana Trading",
        "address1": "테헤란로 152",
        "city": "강남구",
        "province_code": "KR-11",
        "country_code": "KR",
        "zip": "06236",
        "phone": "+82 10-1234-5678",
    },
    "currency": "KRW",
}

# What the portal's mirror reads of an order (shopify_sync/graphql/orders.graphql), plus the order's phone.
ORDERS = """
query Orders($first: Int!) {
  orders(first: $first) {
    nodes {
      id name email phone
      shippingAddress {
        firstName lastName company address1 address2 city province provinceCode country countryCodeV2 zip
        phone
      }
      customer { id legacyResourceId firstName lastName defaultEmailAddress { emailAddress } }
      lineItems(first: 10) { nodes { title quantity } }
    }
  }
}
"""

SHOWN: dict[str, Any] = {
    "email": "hana@example.com",
    "phone": "+82 10-1234-5678",
    "shippingAddress": {
        "firstName": "Hana",
        "lastName": "Kim",
        "company": "Hana Trading",
        "address1": "테헤란로 152",
        "address2": None,
        "city": "강남구",
        "province": "Seoul",
        "provinceCode": "KR-11",
        "country": "South Korea",
        "countryCodeV2": "KR",
        "zip": "06236",
        "phone": "+82 10-1234-5678",
    },
    "customer": {
        "firstName": "Hana",
        "lastName": "Kim",
        "defaultEmailAddress": {"emailAddress": "hana@example.com"},
    },
}
ADDRESS_PARTS = (
    "address1",
    "address2",
    "city",
    "province",
    "provinceCode",
    "country",
    "countryCodeV2",
    "zip",
)


def read_order(store: Devstore) -> tuple[dict, list[dict]]:
    answer = store.graphql(ORDERS, {"first": 5})
    return answer["data"]["orders"]["nodes"][0], answer.get("errors", [])


def refused(errors: list[dict]) -> dict[tuple[str, ...], str]:
    """path (under the order) -> the field the message names; and every error is Shopify's ACCESS_DENIED."""
    out = {}
    for e in errors:
        assert e["extensions"] == {"code": "ACCESS_DENIED", "documentation": DOCUMENTATION}, e
        assert e["locations"] and e["path"][:3] == ["orders", "nodes", 0], e
        prefix, suffix = (
            "This app is not approved to use the ",
            f" field. See {DOCUMENTATION} for more details.",
        )
        assert e["message"].startswith(prefix) and e["message"].endswith(suffix), e
        out[tuple(e["path"][3:])] = e["message"][len(prefix) : -len(suffix)]
    return out


@pytest.fixture
def level_one(receiver: Receiver) -> Iterator[Devstore]:
    """A store whose app has Level 1 only (no protected customer fields), delivering to ``receiver``."""
    with start_devstore(
        token=TOKEN, webhook_url=receiver.url, webhook_secret=SECRET, protected_data="none"
    ) as store:
        yield store


def test_by_default_the_app_reads_every_protected_field(hooked: Devstore, receiver: Receiver) -> None:
    hooked.create_order(**ORDER)
    order, errors = read_order(hooked)
    assert errors == []
    assert {k: order[k] for k in SHOWN if k != "customer"} == {
        k: v for k, v in SHOWN.items() if k != "customer"
    }
    assert {k: order["customer"][k] for k in SHOWN["customer"]} == SHOWN["customer"]
    assert hooked.protected_data_granted() == ["name", "email", "phone", "address"]
    body = json.loads(wait_for(lambda: receiver.by_topic("orders/create"))[0]["body"])
    assert body["email"] == "hana@example.com" and body["customer"]["first_name"] == "Hana"
    assert body["shipping_address"]["address1"] == "테헤란로 152"


def test_without_protected_fields_an_orders_query_gets_nulls_and_access_denied_errors(
    level_one: Devstore,
) -> None:
    created = level_one.create_order(**ORDER)
    order, errors = read_order(level_one)
    # Everything else is still there: Level 1 is customer data without the four protected fields.
    assert order["id"] == created["id"] and order["name"] == created["name"]
    assert order["lineItems"]["nodes"] == [{"title": "Tee", "quantity": 2}]
    assert (
        order["customer"]["id"].startswith("gid://shopify/Customer/")
        and order["customer"]["legacyResourceId"]
    )
    assert order["email"] is None and order["phone"] is None
    blank: dict[str, str | None] = dict.fromkeys(SHOWN["shippingAddress"])
    assert order["shippingAddress"] == {**blank, "company": "Hana Trading"}  # company is Level 1
    assert order["customer"]["firstName"] is None and order["customer"]["lastName"] is None
    assert order["customer"]["defaultEmailAddress"] is None
    expected: dict[tuple[str, ...], str] = {
        ("email",): "email",
        ("phone",): "phone",
        ("shippingAddress", "firstName"): "firstName",
        ("shippingAddress", "lastName"): "lastName",
        ("shippingAddress", "phone"): "phone",
        **{("shippingAddress", part): part for part in ADDRESS_PARTS},
        ("customer", "firstName"): "firstName",
        ("customer", "lastName"): "lastName",
        ("customer", "defaultEmailAddress"): "email",
    }
    assert refused(errors) == expected
    # The control API is the test's view of the truth: nothing hidden there.
    assert level_one.order(created["legacy_id"])["email"] == "hana@example.com"


def test_without_protected_fields_webhooks_carry_nulls_in_their_place(
    level_one: Devstore, receiver: Receiver
) -> None:
    created = level_one.create_order(**ORDER)
    delivery = wait_for(lambda: receiver.by_topic("orders/create"))[0]
    assert delivery["headers"]["x-shopify-hmac-sha256"] == independent_hmac(delivery["body"])
    body = json.loads(delivery["body"])
    assert body["id"] == created["legacy_id"] and body["name"] == created["name"]
    assert body["email"] is None and body["contact_email"] is None and body["phone"] is None
    assert body["line_items"][0]["title"] == "Tee" and body["total_price"] == "30000"
    customer = body["customer"]
    assert customer["id"] and customer["admin_graphql_api_id"].startswith("gid://shopify/Customer/")
    assert customer["email"] is None and customer["first_name"] is None and customer["last_name"] is None
    address = body["shipping_address"]
    assert address["company"] == "Hana Trading"
    assert {k: v for k, v in address.items() if k != "company"} == {
        k: None for k in address if k != "company"
    }


def test_one_granted_field_shows_that_one_only(receiver: Receiver) -> None:
    with start_devstore(token=TOKEN, webhook_url=receiver.url, protected_data="email") as store:
        store.create_order(**ORDER)
        order, errors = read_order(store)
        assert order["email"] == "hana@example.com"
        assert order["customer"]["defaultEmailAddress"] == {"emailAddress": "hana@example.com"}
        assert order["phone"] is None and order["customer"]["firstName"] is None
        assert order["shippingAddress"]["address1"] is None and order["shippingAddress"]["firstName"] is None
        assert set(refused(errors).values()) == {"phone", "firstName", "lastName", *ADDRESS_PARTS}
        body = json.loads(wait_for(lambda: receiver.by_topic("orders/create"))[0]["body"])
        assert body["email"] == body["customer"]["email"] == "hana@example.com"
        assert body["phone"] is None and body["customer"]["first_name"] is None
        assert body["shipping_address"]["city"] is None


def test_the_control_endpoint_switches_it_at_runtime(devstore: Devstore) -> None:
    devstore.create_order(**ORDER)
    assert devstore.set_protected_data([]) == []
    order, errors = read_order(devstore)
    assert order["email"] is None and len(refused(errors)) == 16

    assert devstore.set_protected_data(["address", "name"]) == ["name", "address"]
    order, errors = read_order(devstore)
    assert order["shippingAddress"] == {**SHOWN["shippingAddress"], "phone": None}
    assert order["customer"]["firstName"] == "Hana"
    assert set(refused(errors).values()) == {"email", "phone"}

    with pytest.raises(DevstoreError, match="unknown protected field birthday"):
        devstore.set_protected_data(["birthday"])
    assert devstore.protected_data_granted() == ["name", "address"]

    devstore.reset()  # back to what the devstore was started with
    assert devstore.protected_data_granted() == ["name", "email", "phone", "address"]


def test_a_bulk_query_over_a_refused_field_fails_with_access_denied(level_one: Devstore) -> None:
    level_one.create_order(**ORDER)
    started = level_one.graphql(
        """mutation($query: String!) { bulkOperationRunQuery(query: $query) {
             bulkOperation { id } userErrors { message } } }""",
        {"query": "{ orders { edges { node { id email } } } }"},
    )["data"]["bulkOperationRunQuery"]
    assert started["userErrors"] == []
    poll = "query($id: ID!) { node(id: $id) { ... on BulkOperation { status errorCode url } } }"
    op_id = started["bulkOperation"]["id"]

    def finished() -> dict | None:
        op = level_one.graphql(poll, {"id": op_id})["data"]["node"]
        return op if op["status"] not in ("CREATED", "RUNNING") else None

    done = wait_for(finished)
    assert done == {"status": "FAILED", "errorCode": "ACCESS_DENIED", "url": None}


def test_the_option_takes_a_list_of_fields_or_none() -> None:
    assert parse_args([]).protected_fields == {"name", "email", "phone", "address"}
    assert parse_args(["--protected-data", "none"]).protected_fields == frozenset()
    assert parse_args(["--protected-data", "Email, address"]).protected_fields == {"email", "address"}
    with pytest.raises(SystemExit):
        parse_args(["--protected-data", "name,ssn"])
