"""The soak's plan: seeded, the mix it promises, and item edits the default policy accepts."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from soak.plan import CATALOGUE, CATALOGUE_BY_TITLE, PlannedRequest, line_price, make_plan

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    return make_plan(requests=2000, seed=42, now=NOW)


def edits(plan) -> list[PlannedRequest]:
    return [request for request in plan.requests if request.kind == "item_edit"]


def test_the_same_seed_plans_the_same_requests(plan):
    again = make_plan(requests=2000, seed=42, now=NOW)
    other = make_plan(requests=2000, seed=43, now=NOW)

    assert [asdict(r) for r in again.requests] == [asdict(r) for r in plan.requests]
    assert [asdict(r) for r in other.requests] != [asdict(r) for r in plan.requests]


def test_about_a_fifth_of_the_requests_are_item_edits_of_each_flavour(plan):
    kinds = Counter(request.kind for request in plan.requests)

    assert len(plan.requests) == 2000
    assert 0.15 <= kinds["item_edit"] / 2000 <= 0.25
    assert kinds["cancel"] > kinds["address_change"] > 0
    flavours = Counter(request.edit.flavour for request in edits(plan) if request.edit)
    assert set(flavours) == {"reduce", "remove", "swap"}
    assert max(flavours.values()) - min(flavours.values()) <= 1  # taken in turn
    refunds = Counter(request.edit.refund > 0 for request in edits(plan) if request.edit)
    assert refunds[True] and refunds[False]  # a same-price swap refunds nothing


def test_item_edits_are_auto_approved_or_moderated_like_the_other_kinds(plan):
    decisions = Counter((request.moderated, request.decision) for request in edits(plan))

    assert set(decisions) == {(False, "approve"), (True, "approve"), (True, "reject")}
    assert any(request.fulfil for request in edits(plan))  # shipped before the push: the edit fails


def test_an_item_edit_order_has_two_lines_or_more_and_no_product_twice(plan):
    for request in edits(plan):
        lines = request.order.line_items
        assert len(lines) >= 2
        products = [line["product"] for line in lines if "product" in line]
        assert products and len(products) == len(set(products))
        assert "product" in lines[0] and lines[0]["quantity"] >= 2


def test_each_planned_change_is_one_the_store_accepts_with_its_difference(plan):
    for request in edits(plan):
        edit, lines = request.edit, request.order.line_items
        assert edit is not None
        line = lines[edit.line]
        if edit.flavour == "reduce":
            assert 1 <= edit.quantity < line["quantity"]
            assert edit.refund == line_price(line) * (line["quantity"] - edit.quantity)
        elif edit.flavour == "remove":
            assert edit.quantity == 0 and len(lines) >= 2  # never the whole order: that is a cancel
            assert edit.refund == line_price(line) * line["quantity"]
        else:
            assert edit.swap_to is not None
            product, target = edit.swap_to
            assert product == line["product"] and target != line["variant"]
            assert edit.quantity == line["quantity"]
            catalogue = CATALOGUE_BY_TITLE[product]
            cheaper_by = catalogue.price(line["variant"]) - catalogue.price(target)
            assert cheaper_by >= 0  # the default policy refuses a dearer swap
            assert edit.refund == cheaper_by * line["quantity"]
        assert request.new_address is None and request.reason_code == ""


def test_catalogue_lines_become_variant_ids_in_the_devstore_order(plan):
    variant_ids = {
        (product.title, value): 1000 * number + place
        for number, product in enumerate(CATALOGUE)
        for place, (value, _price) in enumerate(product.variants)
    }
    order = edits(plan)[0].order

    body = order.devstore_body(variant_ids)

    first = order.line_items[0]
    assert body["line_items"][0] == {
        "variant_id": variant_ids[(first["product"], first["variant"])],
        "quantity": first["quantity"],
    }
    assert body["financial_status"] == "paid"
    plain = next(r.order for r in plan.requests if r.kind == "cancel")
    assert plain.devstore_body()["line_items"] == plain.line_items


def test_a_swap_is_only_planned_within_a_no_dearer_variant():
    tee = CATALOGUE_BY_TITLE["Soak tee"]

    assert tee.swaps_for("S") == []  # the cheapest size has nothing to become
    assert tee.swaps_for("M") == ["S", "L"]
    assert tee.swaps_for("XL") == ["S", "M", "L"]
    assert tee.price("XL") == Decimal("24.00")
