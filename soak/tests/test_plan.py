"""The soak's plan: seeded, the mix it promises, item edits the default policy accepts, returns of what
shipped, withdrawals and guests."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from soak.plan import (
    CATALOGUE,
    CATALOGUE_BY_TITLE,
    RETURN_DECISIONS,
    WINDOW_MINUTES,
    PlannedRequest,
    block_auto_returns,
    block_moderated,
    line_price,
    make_plan,
)

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


# -- fulfilment holds --------------------------------------------------------------------------------------


def test_every_requested_order_stays_in_its_windows_for_a_whole_run(plan):
    for request in plan.requests:
        assert not request.order.quiet
        if request.order.shipped or request.order.processed_at < NOW - timedelta(minutes=WINDOW_MINUTES):
            # a return, or a withdrawal after every window closed (it overrides them)
            assert request.kind in ("return", "withdrawal")
            continue
        assert plan.window_end(request.order) > NOW + timedelta(minutes=12)  # the budget, and its alarm


def test_quiet_orders_windows_end_during_the_run_evenly_with_each_role_in_turn(plan):
    quiet = plan.quiet_orders
    ends = [(plan.window_end(order) - NOW).total_seconds() for order in quiet]

    assert len(quiet) == 2000 // 20
    assert ends[0] == pytest.approx(60) and ends[-1] == pytest.approx(270)
    assert ends == sorted(ends)
    assert len({order.index for order in plan.orders}) == len(plan.orders)
    assert not {order.index for order in quiet} & {request.order.index for request in plan.requests}
    roles = Counter((order.merchant_hold, order.ship_when_released) for order in quiet)
    assert roles == Counter({(True, False): 34, (False, True): 33, (False, False): 33})


def test_a_short_run_has_every_quiet_role_and_its_own_window_ends():
    short = make_plan(requests=20, seed=1, now=NOW, quiet_window_ends=(30.0, 50.0))

    quiet = short.quiet_orders
    assert len(quiet) == 3
    assert [(short.window_end(order) - NOW).total_seconds() for order in quiet] == [30.0, 40.0, 50.0]
    assert [order.merchant_hold for order in quiet] == [True, False, False]
    assert [order.ship_when_released for order in quiet] == [False, True, False]


def test_a_merchants_hold_is_on_some_requested_orders_but_never_on_one_the_store_ships(plan):
    requested = {request.order.index: request.order for request in plan.requests}
    held = [order for order in requested.values() if order.merchant_hold]
    shipped = {request.order.index for request in plan.requests if request.fulfil}

    assert 0.01 <= len(held) / len(requested) <= 0.05
    assert not {order.index for order in held} & shipped
    assert shipped  # the merchant releases the portal's hold on these, and the store ships them


# -- returns, withdrawals, guests ----------------------------------------------------------------------------


def test_returns_withdrawals_and_guests_join_the_mix_in_their_shares(plan):
    kinds = Counter(request.kind for request in plan.requests)
    guests = [request for request in plan.requests if request.order.guest]

    assert 0.08 <= kinds["return"] / 2000 <= 0.12
    assert 0.04 <= kinds["withdrawal"] / 2000 <= 0.07
    assert 0.07 <= len(guests) / 2000 <= 0.13
    assert {request.kind for request in guests} == {
        "cancel",
        "address_change",
        "item_edit",
        "return",
        "withdrawal",
    }
    assert not {request.order.email for request in guests} & set(plan.shopper_emails)  # no account


def test_a_return_is_of_what_shipped_days_before_some_of_each_line_at_most():
    plan = make_plan(requests=2000, seed=42, now=NOW)
    for request in (request for request in plan.requests if request.kind == "return"):
        order = request.order
        assert order.shipped in ("all", "first_line") and request.returns
        assert NOW - timedelta(days=7) < order.processed_at < NOW - timedelta(days=1)
        shipped = {line["title"]: line["quantity"] for line in order.shipped_lines()}
        assert all(0 < quantity <= shipped[title] for title, quantity in request.returns.items())
        assert request.reason_code and not request.fulfil and not order.merchant_hold
    partly = [r.order for r in plan.requests if r.kind == "return" and r.order.shipped == "first_line"]
    assert partly and all(len(order.line_items) > 1 for order in partly)


def test_returns_are_approved_by_the_policy_in_every_other_block_and_decided_in_turn_in_the_others(plan):
    decided: Counter[str] = Counter()
    for request in plan.requests:
        if request.kind == "return" or (request.kind == "withdrawal" and request.order.shipped):
            if block_auto_returns(request.block):
                assert request.decision == "auto" and not request.moderated
            else:
                assert request.decision in RETURN_DECISIONS
                assert request.moderated == (request.decision in ("approve", "reject"))
            decided[request.decision] += 1
    assert max(decided[way] for way in RETURN_DECISIONS) - min(decided[way] for way in RETURN_DECISIONS) <= 1
    assert decided["auto"] > 0
    assert not any(block_auto_returns(block) and block_moderated(block) for block in range(200))


def test_withdrawals_come_in_each_flavour_and_are_refunded_in_full(plan):
    withdrawals = [request for request in plan.requests if request.kind == "withdrawal"]
    shipped = Counter(request.order.shipped for request in withdrawals)
    late = [
        request
        for request in withdrawals
        if not request.order.shipped and request.order.processed_at < NOW - timedelta(minutes=WINDOW_MINUTES)
    ]

    assert shipped[""] and shipped["all"] and shipped["first_line"]
    assert late and len(late) < shipped[""]  # some after every window closed, some within
    assert all(request.decision == "full" for request in withdrawals if not request.order.shipped)


def test_one_return_or_withdrawal_in_six_is_confirmed_twice_at_once(plan):
    doubled = [request for request in plan.requests if request.twice]

    assert {request.kind for request in doubled} == {"return", "withdrawal"}
    assert len(doubled) == pytest.approx(
        sum(r.kind in ("return", "withdrawal") for r in plan.requests) / 6, abs=1
    )
