"""API versions as Shopify answers them: X-Shopify-API-Version, falling forward and
X-Shopify-API-Deprecated-Reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    parse,
)

from devstore import API_VERSION
from devstore.__main__ import parse_args
from devstore.app import load_schema
from devstore.testing import Devstore, DevstoreError, start_devstore
from devstore.versions import DEFAULT_API_VERSIONS, DEPRECATION_PRACTICES_URL, deprecated_usages

from .conftest import SHOPIFY_SCHEMA, TOKEN

SHOP = "{ shop { name } }"
VERSION = "x-shopify-api-version"
DEPRECATED = "x-shopify-api-deprecated-reason"


@pytest.fixture(scope="module")
def versioned() -> Iterator[Devstore]:
    """Serves 2025-10 to 2026-07, with 2025-10 announced as deprecated (the store is only read)."""
    with start_devstore(
        token=TOKEN,
        api_versions=["2025-10", "2026-01", "2026-04", "2026-07"],
        deprecated_versions=["2025-10"],
    ) as store:
        yield store


def test_every_answer_names_the_version_that_served_it(versioned: Devstore) -> None:
    status, headers, body = versioned.graphql_exchange(SHOP)
    assert status == 200 and body["data"]["shop"]["name"]
    assert headers[VERSION] == API_VERSION
    assert versioned.graphql_exchange(SHOP, version="2026-01")[1][VERSION] == "2026-01"
    assert versioned.graphql_exchange(SHOP, version="unstable")[1][VERSION] == "unstable"


def test_a_401_names_the_version_too(versioned: Devstore) -> None:
    status, headers, body = versioned.graphql_exchange(SHOP, token="wrong")
    assert status == 401
    assert body == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    assert headers[VERSION] == API_VERSION


def test_a_version_no_longer_supported_falls_forward_to_the_oldest_supported(versioned: Devstore) -> None:
    for retired in ("2025-07", "2024-01", "2019-04"):
        status, headers, body = versioned.graphql_exchange(SHOP, version=retired)
        assert status == 200, retired
        assert "errors" not in body and body["data"]["shop"]["name"]
        assert headers[VERSION] == "2025-10"


@pytest.mark.parametrize("version", ["2026-13", "2026-02", "foo", "2026-7", "2026-10", "2027-01"])
def test_a_version_that_does_not_exist_is_not_found(versioned: Devstore, version: str) -> None:
    status, headers, body = versioned.graphql_exchange(SHOP, version=version)
    assert (status, body) == (404, {"errors": "Not Found"})
    assert VERSION not in headers
    # Routing comes before the token: a wrong token changes nothing.
    assert versioned.graphql_exchange(SHOP, version=version, token="wrong")[0] == 404


def test_deprecated_fields_used_are_named_in_first_seen_order_without_repeats(versioned: Devstore) -> None:
    query = """{
      currentBulkOperation { id }
      customers(first: 1) { nodes { email again: email defaultEmailAddress { emailAddress } } }
      shop { name }
    }"""
    status, headers, body = versioned.graphql_exchange(query)
    assert status == 200 and "errors" not in body
    assert headers[DEPRECATED] == "QueryRoot.currentBulkOperation, Customer.email"


def test_a_deprecated_argument_is_named_too(versioned: Devstore) -> None:
    mutation = """mutation { orderCancel(orderId: "gid://shopify/Order/1", refund: false, restock: false,
      reason: OTHER) { orderCancelUserErrors { code } } }"""
    status, headers, _body = versioned.graphql_exchange(mutation)
    assert status == 200
    assert headers[DEPRECATED] == "Mutation.orderCancel.refund"


def test_a_query_without_deprecated_fields_has_no_header(versioned: Devstore) -> None:
    status, headers, _body = versioned.graphql_exchange(
        "{ shop { name } customers(first: 1) { nodes { defaultEmailAddress { emailAddress } } } }"
    )
    assert status == 200
    assert DEPRECATED not in headers


def test_an_invalid_query_names_no_deprecations(versioned: Devstore) -> None:
    status, headers, body = versioned.graphql_exchange("{ customers(first: 1) { nodes { email nope } } }")
    assert status == 200 and body["errors"]
    assert DEPRECATED not in headers


def test_a_deprecated_version_answers_with_shopifys_deprecation_practices_url(versioned: Devstore) -> None:
    status, headers, _body = versioned.graphql_exchange(SHOP, version="2025-10")
    assert status == 200
    assert headers[DEPRECATED] == DEPRECATION_PRACTICES_URL
    # A retired version falls forward to the deprecated one; a 401 is an answer of that version too.
    assert versioned.graphql_exchange(SHOP, version="2024-04")[1][DEPRECATED] == DEPRECATION_PRACTICES_URL
    assert versioned.graphql_exchange(SHOP, version="2025-10", token="wrong")[1][DEPRECATED] == (
        DEPRECATION_PRACTICES_URL
    )
    # Deprecated fields used are named instead of the URL.
    named = versioned.graphql_exchange("{ currentBulkOperation { id } }", version="2025-10")[1]
    assert named[DEPRECATED] == "QueryRoot.currentBulkOperation"


def test_deprecated_versions_change_at_runtime_until_reset(devstore: Devstore) -> None:
    assert devstore.versions() == {"supported": list(DEFAULT_API_VERSIONS), "deprecated": []}
    assert DEPRECATED not in devstore.graphql_exchange(SHOP)[1]
    assert devstore.set_deprecated_versions([API_VERSION]) == [API_VERSION]
    assert devstore.graphql_exchange(SHOP)[1][DEPRECATED] == DEPRECATION_PRACTICES_URL
    assert DEPRECATED not in devstore.graphql_exchange(SHOP, version="2026-10")[1]
    with pytest.raises(DevstoreError, match="not among the supported versions: 2019-04"):
        devstore.set_deprecated_versions(["2019-04"])
    with pytest.raises(DevstoreError, match="not a Shopify API version"):
        devstore.set_deprecated_versions(["2026-13"])
    devstore.reset()
    assert DEPRECATED not in devstore.graphql_exchange(SHOP)[1]


def test_the_options_are_checked() -> None:
    config = parse_args(["--api-versions", "2026-04, 2025-10", "--deprecated-versions", "2025-10"])
    assert config.api_versions == ("2025-10", "2026-04")
    assert config.deprecated_versions == frozenset({"2025-10"})
    assert parse_args([]).api_versions == DEFAULT_API_VERSIONS
    for bad in (
        ["--api-versions", "2026-13"],
        ["--api-versions", ""],
        ["--deprecated-versions", "2019-04"],
        ["--api-versions", "2026-04", "--deprecated-versions", "2026-07"],
    ):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_input_fields_and_enum_values_written_in_the_document_are_named() -> None:
    document = parse(
        """mutation {
          webhookSubscriptionCreate(topic: ORDERS_CREATE,
            webhookSubscription: {callbackUrl: "https://example.com/hooks", format: JSON}) {
            userErrors { field }
          }
          refundCreate(input: {orderId: "gid://shopify/Order/1", currency: BYR}) { userErrors { field } }
        }"""
    )
    assert deprecated_usages(load_schema(), document) == [
        "WebhookSubscriptionInput.callbackUrl",
        "CurrencyCode.BYR",
    ]


def test_the_schema_deprecates_what_shopify_deprecates() -> None:
    if not SHOPIFY_SCHEMA.exists():
        pytest.skip(f"Shopify's schema is not at {SHOPIFY_SCHEMA}")
    shopify = build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)

    def deprecations(schema: GraphQLSchema, names: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for name in names:
            t = schema.type_map[name]
            if isinstance(t, GraphQLObjectType):
                for f, field in t.fields.items():
                    found[f"{name}.{f}"] = field.deprecation_reason
                    for a, arg in field.args.items():
                        found[f"{name}.{f}.{a}"] = arg.deprecation_reason
            elif isinstance(t, GraphQLInputObjectType):
                found |= {f"{name}.{f}": field.deprecation_reason for f, field in t.fields.items()}
            elif isinstance(t, GraphQLEnumType):
                found |= {f"{name}.{v}": value.deprecation_reason for v, value in t.values.items()}
        return found

    ours = load_schema()
    names = [n for n in ours.type_map if not n.startswith("__")]
    mine = deprecations(ours, names)
    theirs = deprecations(shopify, names)
    assert {k: v for k, v in mine.items() if v} == {k: theirs[k] for k in mine if theirs.get(k)}
    assert mine.get("Customer.email")
