"""Gift cards: giftCardCreate's checks (as live Shopify answers them, see gift_cards.py), the reads and the
search the portal uses to find a card it issued, and the control listing."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from devstore import oauth
from devstore.testing import Devstore, start_devstore

from .conftest import TOKEN

# The portal's documents (shopify_sync), as the brief gives them.
BY_CODE = """query GiftCardsByCode($query: String!) { giftCards(first: 5, query: $query) { nodes {
  id lastCharacters note enabled initialValue { amount currencyCode } customer { id } } } }"""
CREATE = """mutation GiftCardCreate($input: GiftCardCreateInput!) { giftCardCreate(input: $input) {
  giftCard { id lastCharacters note initialValue { amount currencyCode } customer { id } }
  userErrors { field message code } } }"""

CREATE_FULL = """mutation GiftCardCreate($input: GiftCardCreateInput!) { giftCardCreate(input: $input) {
  giftCard { id lastCharacters maskedCode note enabled expiresOn deactivatedAt createdAt updatedAt
    initialValue { amount currencyCode } balance { amount currencyCode } customer { id email } order { id } }
  giftCardCode
  userErrors { field message code } } }"""
READ = """query($id: ID!) {
  giftCard(id: $id) { id lastCharacters maskedCode note balance { amount currencyCode } customer { id } }
  node(id: $id) { id ... on GiftCard { lastCharacters } }
}"""
PAGE = """query($first: Int, $after: String, $sortKey: GiftCardSortKeys, $reverse: Boolean, $query: String) {
  giftCards(first: $first, after: $after, sortKey: $sortKey, reverse: $reverse, query: $query) {
    edges { cursor node { id lastCharacters } }
    pageInfo { hasNextPage hasPreviousPage }
  }
  giftCardsCount(query: $query) { count precision }
}"""


def usd(amount: str) -> dict:
    return {"amount": amount, "currencyCode": "USD"}


def create(store: Devstore, token: str | None = None, **fields) -> dict:
    result = store.graphql(CREATE_FULL, {"input": fields}, token=token)
    assert "errors" not in result, result
    return result["data"]["giftCardCreate"]


def customer_gid(store: Devstore, email: str = "bob@example.com", name: str = "Bob Norman") -> str:
    first, last = name.split(" ", 1)
    created = store.create_order(email=email, customer={"first_name": first, "last_name": last})
    return store.order(created["legacy_id"])["customer"]["admin_graphql_api_id"]


def search(store: Devstore, query: str) -> list[dict]:
    result = store.graphql(BY_CODE, {"query": query})
    assert "errors" not in result, result
    return result["data"]["giftCards"]["nodes"]


# --- giftCardCreate ------------------------------------------------------------------------------


def test_it_issues_a_card_with_the_given_code_kept_lower_case(devstore: Devstore) -> None:
    bob = customer_gid(devstore)
    made = create(
        devstore,
        code="KeepIt2026Bonus",
        initialAmount={"amount": "15.00", "currencyCode": "CAD"},
        customerId=bob,
        note="store credit for keeping #1001",
        expiresOn="2027-12-31",
    )
    assert made["userErrors"] == []
    assert made["giftCardCode"] == "keepit2026bonus"  # Shopify answers the code lower-case
    card = made["giftCard"]
    assert re.fullmatch(r"gid://shopify/GiftCard/\d+", card["id"])
    assert card["lastCharacters"] == "onus"
    assert card["maskedCode"] == "•••• •••• •••• onus"
    assert card["initialValue"] == card["balance"] == {"amount": "15.0", "currencyCode": "CAD"}
    assert card["customer"] == {"id": bob, "email": "bob@example.com"}
    assert card["note"] == "store credit for keeping #1001"
    assert card["enabled"] is True and card["deactivatedAt"] is None and card["order"] is None
    assert card["expiresOn"] == "2027-12-31"
    assert card["createdAt"] == card["updatedAt"] is not None

    [listed] = devstore.gift_cards()
    assert listed["admin_graphql_api_id"] == card["id"]
    assert listed["code"] == "keepit2026bonus" and listed["last_characters"] == "onus"
    assert listed["customer_id"] == int(bob.rsplit("/", 1)[1])
    assert listed["note"] == "store credit for keeping #1001"
    assert (listed["initial_value"], listed["balance"], listed["currency"]) == ("15.00", "15.00", "CAD")
    assert listed["created_at"]

    read = devstore.graphql(READ, {"id": card["id"]})["data"]
    assert read["giftCard"]["maskedCode"] == card["maskedCode"] and read["giftCard"]["customer"] == {
        "id": bob
    }
    assert read["node"] == {"id": card["id"], "lastCharacters": "onus"}


def test_without_a_code_it_generates_sixteen_letters_and_digits(devstore: Devstore) -> None:
    made = create(devstore, initialValue="25")
    code = made["giftCardCode"]
    assert re.fullmatch(r"[a-z0-9]{16}", code)
    assert made["giftCard"]["lastCharacters"] == code[-4:]
    # initialValue (deprecated) is in the shop's currency; no customer, note or expiry
    card = made["giftCard"]
    assert card["initialValue"] == {"amount": "25.0", "currencyCode": "USD"}
    assert card["customer"] is None and card["note"] is None and card["expiresOn"] is None
    assert [g["code"] for g in devstore.gift_cards()] == [code]


def test_a_code_already_used_in_any_case_is_refused_and_nothing_is_created(devstore: Devstore) -> None:
    first = create(devstore, code="ONCEONLY2026", initialAmount=usd("10"))
    assert first["userErrors"] == []
    again = create(devstore, code="onceOnly2026", initialAmount=usd("10"))
    # Live Shopify's answer (gift_cards.py): the message, no error code.
    assert again == {
        "giftCard": None,
        "giftCardCode": None,
        "userErrors": [{"field": ["input", "code"], "message": "Code has already been taken", "code": None}],
    }
    assert len(devstore.gift_cards()) == 1
    assert devstore.calls()[-1]["user_errors"] == again["userErrors"]


def test_two_creates_racing_with_one_code_make_one_card(devstore: Devstore) -> None:
    barrier = threading.Barrier(6)
    answers: list[dict] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        got = devstore.graphql(CREATE, {"input": {"code": "RACEDCODE01", "initialAmount": usd("5")}})
        with lock:
            answers.append(got["data"]["giftCardCreate"])

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for a in answers if a["giftCard"]) == 1
    assert sum(1 for a in answers if a["userErrors"]) == 5
    assert len(devstore.gift_cards()) == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"initialAmount": usd("0")},
            {
                "field": ["input", "initialAmount"],
                "message": "must be greater than 0",
                "code": "GREATER_THAN",
            },
        ),
        (
            {"initialAmount": usd("-5.00")},
            {
                "field": ["input", "initialAmount"],
                "message": "must be greater than 0",
                "code": "GREATER_THAN",
            },
        ),
        (
            {"initialValue": "0"},
            {"field": ["input", "initialValue"], "message": "must be greater than 0", "code": "GREATER_THAN"},
        ),
        (
            {"note": "no amount"},
            {
                "field": ["input", "initialAmount"],
                "message": "Initial amount is required",
                "code": "MISSING_ARGUMENT",
            },
        ),
        (
            {"initialAmount": usd("10"), "code": "abc"},
            {
                "field": ["input", "code"],
                "message": "Code must be at least 8 characters long",
                "code": "TOO_SHORT",
            },
        ),
        (
            {"initialAmount": usd("10"), "code": "x" * 21},
            {
                "field": ["input", "code"],
                "message": "Code must be at most 20 characters long",
                "code": "TOO_LONG",
            },
        ),
        (
            {"initialAmount": usd("10"), "code": "bad!code"},
            {
                "field": ["input", "code"],
                "message": "Code can only contain letters(a-z) and numbers(0-9)",
                "code": "INVALID",
            },
        ),
        (
            # An unknown customer is what Shopify reports when the code is bad too.
            {"initialAmount": usd("10"), "code": "abc", "customerId": "gid://shopify/Customer/999999999999"},
            {
                "field": ["input", "customerId"],
                "message": "The customer could not be found.",
                "code": "CUSTOMER_NOT_FOUND",
            },
        ),
    ],
)
def test_it_refuses_bad_input_like_shopify(devstore: Devstore, fields: dict, error: dict) -> None:
    refused = create(devstore, **fields)
    assert refused == {"giftCard": None, "giftCardCode": None, "userErrors": [error]}
    assert devstore.gift_cards() == []


def test_the_portals_documents_run_as_sent(devstore: Devstore) -> None:
    bob = customer_gid(devstore)
    variables = {
        "input": {
            "code": "PORTALBONUS0042",
            "initialAmount": usd("20.00"),
            "customerId": bob,
            "note": "keep-offer 42",
        }
    }
    made = devstore.graphql(CREATE, variables)
    assert "errors" not in made, made
    card = made["data"]["giftCardCreate"]["giftCard"]
    assert made["data"]["giftCardCreate"]["userErrors"] == []
    assert search(devstore, "PORTALBONUS0042") == [
        {
            "id": card["id"],
            "lastCharacters": "0042",
            "note": "keep-offer 42",
            "enabled": True,
            "initialValue": {"amount": "20.0", "currencyCode": "USD"},
            "customer": {"id": bob},
        }
    ]


# --- reading and searching -----------------------------------------------------------------------


def test_search_finds_a_card_by_code_last_characters_customer_and_id(devstore: Devstore) -> None:
    bob = customer_gid(devstore, "bob@example.com")
    ann = customer_gid(devstore, "ann@example.com", "Ann Lee")
    bobs = create(devstore, code="BOBCREDIT7781", initialAmount=usd("10"), customerId=bob)["giftCard"]
    anns = create(devstore, code="ANNCREDIT5512", initialAmount=usd("10"), customerId=ann)["giftCard"]
    loose = create(devstore, initialAmount=usd("10"))

    def ids(query: str) -> list[str]:
        return [n["id"] for n in search(devstore, query)]

    assert ids("BOBCREDIT7781") == ids("bobcredit7781") == ids("'BobCredit7781'") == [bobs["id"]]
    assert ids("7781") == [bobs["id"]]  # the last characters, as lastCharacters shows them
    assert ids(loose["giftCardCode"][-4:].upper()) == [loose["giftCard"]["id"]]
    assert ids("BOBCREDIT778") == []  # not a whole code nor its end
    assert ids(f"customer_id:{ann.rsplit('/', 1)[1]}") == [anns["id"]]
    assert ids(f"customer_id:{bob.rsplit('/', 1)[1]} AND 7781") == [bobs["id"]]
    assert ids(f"customer_id:{bob.rsplit('/', 1)[1]} AND 5512") == []
    assert ids(f"id:{anns['id'].rsplit('/', 1)[1]}") == [anns["id"]]
    assert ids("id:1") == []
    assert ids("norman") == [bobs["id"]]  # the customer's name, as Shopify's example "Bob Norman"
    assert ids("Ann Lee") == [anns["id"]]
    assert len(ids("")) == 3


def test_gift_cards_page_sort_and_count(devstore: Devstore) -> None:
    made = [create(devstore, initialAmount=usd(str(n)))["giftCard"]["id"] for n in (5, 30, 10)]
    first = devstore.graphql(PAGE, {"first": 2})["data"]
    assert [e["node"]["id"] for e in first["giftCards"]["edges"]] == made[:2]
    assert first["giftCards"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert first["giftCardsCount"] == {"count": 3, "precision": "EXACT"}
    after = first["giftCards"]["edges"][-1]["cursor"]
    rest = devstore.graphql(PAGE, {"first": 2, "after": after})["data"]["giftCards"]
    assert [e["node"]["id"] for e in rest["edges"]] == made[2:]
    by_value = devstore.graphql(PAGE, {"first": 5, "sortKey": "INITIAL_VALUE", "reverse": True})["data"]
    assert [e["node"]["id"] for e in by_value["giftCards"]["edges"]] == [made[1], made[2], made[0]]
    counted = devstore.graphql(PAGE, {"first": 1, "query": "initial_value:>=10"})["data"]["giftCardsCount"]
    assert counted == {"count": 2, "precision": "EXACT"}
    assert devstore.graphql(READ, {"id": "gid://shopify/GiftCard/1"})["data"] == {
        "giftCard": None,
        "node": None,
    }


def test_a_gift_card_query_costs_like_other_connections(devstore: Devstore) -> None:
    create(devstore, initialAmount=usd("5"))
    cost = devstore.graphql(BY_CODE, {"query": "x"})["extensions"]["cost"]
    # 2 + k(5)=3 x (card 1 + customer 1); money is free
    assert cost["requestedQueryCost"] == 8
    counted = devstore.graphql("{ giftCardsCount { count } }")["extensions"]["cost"]
    assert counted["requestedQueryCost"] == 10


# --- scopes, control API, state ------------------------------------------------------------------


def test_the_apps_tokens_are_granted_the_gift_card_scopes(devstore: Devstore) -> None:
    granted = devstore.request_token()
    assert {"read_gift_cards", "write_gift_cards"} <= set(granted["scope"].split(","))
    assert {"read_gift_cards", "write_gift_cards"} <= set(oauth.parse_scopes(oauth.DEFAULT_SCOPES))
    made = create(devstore, token=granted["access_token"], initialAmount=usd("5"))
    assert made["userErrors"] == []


def test_reset_forgets_gift_cards_and_their_codes(devstore: Devstore) -> None:
    create(devstore, code="RESETME12345", initialAmount=usd("5"))
    assert len(devstore.gift_cards()) == 1
    devstore.reset()
    assert devstore.gift_cards() == []
    assert search(devstore, "RESETME12345") == []
    assert create(devstore, code="RESETME12345", initialAmount=usd("5"))["userErrors"] == []


def test_cards_and_their_codes_survive_a_restart(tmp_path: Path) -> None:
    with start_devstore(token=TOKEN, state_file=tmp_path / "state.json") as store:
        made = create(store, code="SURVIVOR2026", initialAmount=usd("5"))["giftCard"]
        store.restart()
        assert [g["code"] for g in store.gift_cards()] == ["survivor2026"]
        assert [n["id"] for n in search(store, "survivor2026")] == [made["id"]]
        again = create(store, code="SURVIVOR2026", initialAmount=usd("5"))
        assert again["userErrors"][0]["message"] == "Code has already been taken"
