"""Order edits priced by Shopify (the devstore): a preview stages changes and reads the calculated order
without changing the order; a commit applies them once. The figures are Shopify's, never ours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopify_sync.client import ShopifyClient
from shopify_sync.errors import ShopifyUserError
from shopify_sync.order_edits import LineChange


@pytest.fixture
def store(devstore):
    tee = devstore.create_product(
        title="Tee",
        options=["Size"],
        variants=[
            {"options": ["S"], "price": "20.00", "sku": "TEE-S", "inventory_quantity": 5},
            {"options": ["M"], "price": "20.00", "sku": "TEE-M", "inventory_quantity": 5},
            {"options": ["XL"], "price": "26.00", "sku": "TEE-XL", "inventory_quantity": 5},
            {"options": ["XS"], "price": "16.00", "sku": "TEE-XS", "inventory_quantity": 0},
        ],
    )
    variants = {v["title"]: v for v in tee["variants"]}
    created = devstore.create_order(
        email="edit@example.com",
        line_items=[
            {
                "variant_id": variants["M"]["id"],
                "quantity": 2,
                "inventory_behaviour": "decrement_obeying_policy",
            },
            {"title": "Mug", "quantity": 1, "price": "15.00"},
        ],
        inventory_behaviour="decrement_obeying_policy",
    )
    return devstore, devstore.order(created["legacy_id"]), variants, tee


def client_of(store) -> ShopifyClient:
    return ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")


def lines(order: dict) -> dict[str, dict]:
    return {line["title"]: line for line in order["line_items"]}


def test_a_preview_of_a_reduced_line_shows_shopifys_totals_and_a_refund_and_changes_nothing(store):
    devstore, order, _variants, _tee = store
    tee = lines(order)["Tee"]

    preview = client_of(devstore).order_edit_preview(
        order_gid=order["admin_graphql_api_id"], changes=[LineChange(tee["admin_graphql_api_id"], 1)]
    )

    edited = preview.line_for(tee["admin_graphql_api_id"])
    assert edited is not None and edited.quantity == 1
    assert preview.subtotal.shop.amount == Decimal("35.00")  # one tee (20) and the mug (15)
    assert preview.outstanding.shop.amount == Decimal("-20.00")  # the store owes a refund of one tee
    assert devstore.order(order["id"])["line_items"][0]["current_quantity"] == 2  # nothing committed


def test_a_swap_to_a_dearer_size_is_priced_as_an_amount_the_shopper_owes(store):
    devstore, order, variants, _tee = store
    tee = lines(order)["Tee"]

    preview = client_of(devstore).order_edit_preview(
        order_gid=order["admin_graphql_api_id"],
        changes=[LineChange(tee["admin_graphql_api_id"], 2, swap_to=variants["XL"]["admin_graphql_api_id"])],
    )

    assert preview.outstanding.shop.amount == Decimal("12.00")  # two XL at 26 for two M at 20
    assert preview.total.shop.amount > Decimal("55.00")


def test_the_other_sizes_of_a_line_come_with_their_stock(store):
    devstore, _order, _variants, tee = store

    options = client_of(devstore).product_variants(tee["admin_graphql_api_id"])

    by_title = {option.title: option for option in options}
    assert set(by_title) == {"S", "M", "XL", "XS"}
    assert by_title["XL"].price == Decimal("26.00") and by_title["XL"].available
    assert not by_title["XS"].available and by_title["XS"].inventory == 0


def test_a_commit_applies_the_edit_once_restocks_and_tells_shopify_who_asked(store):
    devstore, order, variants, _tee = store
    tee = lines(order)["Tee"]
    mug = lines(order)["Mug"]

    updated_at = client_of(devstore).order_edit_commit(
        order_gid=order["admin_graphql_api_id"],
        changes=[LineChange(tee["admin_graphql_api_id"], 1), LineChange(mug["admin_graphql_api_id"], 0)],
        notify_customer=True,
        staff_note="Portal request #7",
    )

    after = lines(devstore.order(order["id"]))
    assert updated_at
    assert after["Tee"]["current_quantity"] == 1 and after["Mug"]["current_quantity"] == 0
    assert devstore.variant(variants["M"]["id"])["inventory_quantity"] == 4  # 5 - 2 sold + 1 restocked
    [commit] = [c for c in devstore.calls() if c["operation"] == "orderEditCommit"]
    assert commit["variables"]["staffNote"] == "Portal request #7" and commit["outcome"] == "ok"


def test_a_line_that_is_not_on_the_order_is_refused_before_anything_is_staged(store):
    devstore, order, _variants, _tee = store

    with pytest.raises(ShopifyUserError, match="not on this order"):
        client_of(devstore).order_edit_preview(
            order_gid=order["admin_graphql_api_id"],
            changes=[LineChange("gid://shopify/LineItem/999999999", 0)],
        )
