"""The shop's state: a frozen, locked or closed shop refuses every Admin API call the way Shopify does, with
a string `errors`, until it is active again (or the store is reset)."""

from __future__ import annotations

import pytest

from devstore.testing import Devstore, DevstoreError

SHOP = "{ shop { name } }"


@pytest.mark.parametrize(
    ("state", "status", "errors"),
    [
        ("frozen", 402, "Unavailable Shop"),
        ("locked", 423, "This store is unavailable"),
        ("gone", 404, "Not Found"),
    ],
)
def test_every_admin_api_call_is_refused_with_the_states_status_and_a_string_error(
    devstore: Devstore, state: str, status: int, errors: str
) -> None:
    assert devstore.set_shop_state(state) == {"state": state, "refused": 0}

    answers = [
        devstore.graphql_exchange(SHOP),
        devstore.graphql_exchange("mutation { orderCancel }"),  # not even read
        devstore.graphql_exchange(SHOP, token="not-a-token"),  # nor is the token
    ]

    assert [(answer_status, body) for answer_status, _, body in answers] == [(status, {"errors": errors})] * 3
    assert all("x-shopify-api-version" not in headers for _, headers, _ in answers)
    assert devstore.shop_state() == {"state": state, "refused": 3}


def test_an_active_shop_answers_again_and_the_control_api_and_tokens_keep_working(devstore: Devstore) -> None:
    devstore.set_shop_state("frozen")
    created = devstore.create_order()  # the control API is not Shopify's
    assert devstore.request_token()["access_token"]  # what the token endpoint does then is not documented

    devstore.set_shop_state("active")

    data = devstore.graphql("query($id: ID!) { order(id: $id) { name } }", {"id": created["id"]})["data"]
    assert data["order"]["name"] == created["name"]
    assert devstore.shop_state() == {"state": "active", "refused": 0}


def test_reset_makes_the_shop_active(devstore: Devstore) -> None:
    devstore.set_shop_state("locked")

    devstore.reset()

    assert devstore.shop_state()["state"] == "active"
    assert devstore.graphql(SHOP)["data"]["shop"]["name"]


def test_an_unknown_state_is_refused(devstore: Devstore) -> None:
    with pytest.raises(DevstoreError, match="state must be one of active, frozen, locked, gone"):
        devstore.set_shop_state("paused")
