"""Item edits end to end against the devstore: the live options, Shopify's price, the request, and the
push that commits once (and refunds the difference once), or not at all when the order moved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cancellations import item_edits
from cancellations.errors import RequestNotAllowed
from cancellations.models import RefundMethod, Request
from cancellations.services import request_approve, request_submit
from cancellations.services.item_edits import (
    edit_options,
    item_edit_price,
    item_edit_submit,
    order_exclusions,
)
from cancellations.services.push import HOOKS
from cancellations.tests.conftest import fast_client, mutations
from cancellations.tests.test_push import Clock, push
from shopify_sync.models import Order
from shopify_sync.order_edits import LineChange


class Tee:
    """A tee in four sizes (S cheaper, XL dearer, L sold out), and an order of two M and a gift wrap."""

    def __init__(self, shopify, store_order, **order_fields: Any) -> None:
        self.shopify = shopify
        product = shopify.create_product(
            title="Organic Cotton Tee",
            product_type="Apparel",
            tags=["organic"],
            options=["Size"],
            variants=[
                {"options": ["S"], "price": "8.00", "sku": "TEE-S", "inventory_quantity": 5},
                {"options": ["M"], "price": "10.00", "sku": "TEE-M", "inventory_quantity": 3},
                {"options": ["L"], "price": "10.00", "sku": "TEE-L", "inventory_quantity": 0},
                {"options": ["XL"], "price": "12.00", "sku": "TEE-XL", "inventory_quantity": 4},
            ],
        )
        self.variants = {v["title"]: v for v in product["variants"]}
        fields: dict[str, Any] = {
            "currency": "USD",
            "shipping_price": "7.00",
            "line_items": [
                {"variant_id": self.variants["M"]["id"], "quantity": 2},
                {"title": "Gift wrap", "quantity": 1, "price": "5.00", "sku": "WRAP-1"},
            ],
        }
        self.order: Order = store_order(**(fields | order_fields))
        self.tee_line, self.wrap_line = (
            line.shopify_gid for line in self.order.line_items.order_by("position")
        )

    def gid(self, size: str) -> str:
        return self.variants[size]["admin_graphql_api_id"]

    def lines(self) -> list[dict]:
        return self.shopify.order(self.order.legacy_id)["line_items"]


@pytest.fixture
def tee(shopify, store_order, policy) -> Tee:
    return Tee(shopify, store_order)


def price(tee: Tee, shopper, *changes: LineChange):
    return item_edit_price(order=tee.order, shopper=shopper, changes=list(changes), client=fast_client())


def submit(tee: Tee, shopper, *changes: LineChange) -> Request:
    priced = price(tee, shopper, *changes)
    return item_edit_submit(
        order=tee.order,
        shopper=shopper,
        line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
        snapshot=priced.snapshot,
        language="en",
    )


def reduce(tee: Tee, quantity: int = 1) -> LineChange:
    return LineChange(line_item_gid=tee.tee_line, quantity=quantity)


def swap(tee: Tee, size: str) -> LineChange:
    return LineChange(line_item_gid=tee.tee_line, quantity=2, swap_to=tee.gid(size))


def commits(tee: Tee) -> list[dict]:
    return [
        call
        for call in tee.shopify.calls()
        if call["operation"] == "orderEditCommit" and call["outcome"] == "ok"
    ]


# -- what the page offers ------------------------------------------------------------------------------


def test_the_page_offers_the_in_stock_sizes_and_lower_quantities(tee, shopper):
    options = edit_options(order=tee.order, shopper=shopper, client=fast_client())

    tee_choice, wrap_choice = options.choices
    assert [v.title for v in tee_choice.swaps] == ["S", "XL"]  # not M (its own), not L (sold out)
    assert tee_choice.quantities == [2, 1, 0]
    assert wrap_choice.swaps == ()  # a custom line has no product to swap within
    assert options.any_editable


def test_excluded_products_cannot_be_edited_nor_cancelled(tee, shopper, policy):
    policy.excluded_product_tags = "Final sale, ORGANIC"
    policy.save()

    options = edit_options(order=tee.order, shopper=shopper, client=fast_client())
    tee_choice = options.choices[0]
    assert tee_choice.exclusion == "excluded_tag" and not tee_choice.editable
    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, reduce(tee))
    assert refused.value.code == "excluded_tag"

    excluded = order_exclusions(order=tee.order, policy=policy, client=fast_client())
    assert excluded == [tee.tee_line]
    with pytest.raises(RequestNotAllowed) as refused:
        request_submit(
            order=tee.order,
            shopper=shopper,
            kind="cancel",
            reason_code="changed_my_mind",
            excluded_lines=excluded,
        )
    assert refused.value.code == "excluded"
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("excluded_product_types", "apparel", "excluded_type"),
        ("excluded_sku_prefixes", "tee-", "excluded_sku"),
    ],
)
def test_exclusions_by_type_and_sku_prefix(tee, shopper, policy, field, value, code):
    setattr(policy, field, value)
    policy.save()

    choices = edit_options(order=tee.order, shopper=shopper, client=fast_client()).choices
    assert [c.exclusion for c in choices] == [code, None]


def test_gift_cards_are_excluded_from_the_mirror_alone(shopify, store_order, shopper, policy):
    from django.utils import timezone

    from cancellations.policy import order_verdict

    order = store_order(
        line_items=[
            {"title": "Mug", "quantity": 1, "price": "15.00"},
            {
                "title": "Gift card",
                "quantity": 1,
                "price": "25.00",
                "gift_card": True,
                "requires_shipping": False,
            },
        ]
    )

    verdict = order_verdict(policy=policy, order=order, kind="cancel", now=timezone.now())
    assert verdict.code == "excluded"
    policy.exclude_unshipped_goods = False
    assert order_verdict(policy=policy, order=order, kind="cancel", now=timezone.now()).allowed


def test_removing_everything_is_a_cancel(tee, shopper):
    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, reduce(tee, 0), LineChange(line_item_gid=tee.wrap_line, quantity=0))
    assert refused.value.code == "remove_all"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda tee: LineChange(line_item_gid=tee.tee_line, quantity=3), "bad_quantity"),
        (lambda tee: swap(tee, "L"), "swap_unavailable"),
        (lambda tee: LineChange(line_item_gid="gid://shopify/LineItem/1", quantity=0), "line_unknown"),
        (lambda tee: reduce(tee, 2), "no_change"),
    ],
)
def test_changes_the_order_does_not_allow_are_refused(tee, shopper, change, code):
    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, change(tee))
    assert refused.value.code == code
    assert commits(tee) == []


def test_another_shoppers_order_is_not_theirs_to_edit(tee):
    from cancellations.tests.factories import ShopperFactory

    with pytest.raises(RequestNotAllowed) as refused:
        edit_options(order=tee.order, shopper=ShopperFactory(), client=fast_client())
    assert refused.value.code == "not_owner"


# -- Shopify's price -----------------------------------------------------------------------------------


def test_a_reduction_is_priced_by_shopify_with_the_refund_due(tee, shopper):
    priced = price(tee, shopper, reduce(tee))

    assert priced.snapshot["subtotal"] == "15.00"  # one tee and the wrap
    assert priced.snapshot["total"] == "22.00"  # with 7.00 shipping
    assert priced.refund_due == Decimal("10.00") and priced.extra_due == 0
    assert [(a["title"], a["quantity"]) for a in priced.snapshot["after"]] == [
        ("Organic Cotton Tee", 1),
        ("Gift wrap", 1),
    ]
    assert commits(tee) == []  # a price is never a change


def test_a_dearer_swap_needs_the_policy_to_allow_price_increases(tee, shopper, policy):
    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, swap(tee, "XL"))
    assert refused.value.code == "price_increase"

    policy.allow_price_increases = True
    policy.save()
    assert price(tee, shopper, swap(tee, "XL")).extra_due == Decimal("4.00")


def test_swaps_are_off_when_the_policy_says_so(tee, shopper, policy):
    policy.allow_swaps = False
    policy.save()

    assert edit_options(order=tee.order, shopper=shopper, client=fast_client()).choices[0].swaps == ()
    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, swap(tee, "S"))
    assert refused.value.code == "swap_unavailable"


# -- the push ------------------------------------------------------------------------------------------


def test_a_reduction_commits_once_then_refunds_the_difference_once(tee, shopper):
    request = push(submit(tee, shopper, reduce(tee)))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert request.refund == RefundMethod.PARTIAL and request.refund_amount == Decimal("10.00")
    assert len(commits(tee)) == 1
    assert tee.lines()[0]["current_quantity"] == 1
    refunds = mutations(tee.shopify, "refundCreate", outcome=None)
    assert len(refunds) == 1 and refunds[0]["variables"]["input"]["transactions"][0]["amount"] == "10.00"
    assert tee.shopify.variant(tee.variants["M"]["id"])["inventory_quantity"] == 4  # restocked
    # The mirror shows the edit as soon as the push read it.
    assert Order.objects.get(pk=tee.order.pk).line_items.get(shopify_gid=tee.tee_line).current_quantity == 1


def test_removing_one_line_is_a_partial_cancel(tee, shopper):
    request = push(submit(tee, shopper, LineChange(line_item_gid=tee.wrap_line, quantity=0)))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert request.refund_amount == Decimal("5.00")
    assert [line["current_quantity"] for line in tee.lines()] == [2, 0]


def test_a_cheaper_swap_replaces_the_line_and_refunds(tee, shopper):
    request = push(submit(tee, shopper, swap(tee, "S")))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert request.refund_amount == Decimal("4.00")
    lines = tee.lines()
    assert lines[0]["current_quantity"] == 0
    assert [(line["variant_id"], line["current_quantity"]) for line in lines[2:]] == [
        (tee.variants["S"]["id"], 2)
    ]


def test_a_dearer_swap_commits_without_a_refund(tee, shopper, policy):
    policy.allow_price_increases = True
    policy.save()

    request = push(submit(tee, shopper, swap(tee, "XL")))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert request.refund == RefundMethod.NONE
    assert len(commits(tee)) == 1 and mutations(tee.shopify, "refundCreate", outcome=None) == []
    commit = commits(tee)[0]
    assert commit["variables"]["notifyCustomer"] is True  # Shopify e-mails the invoice


def test_an_order_shipped_between_preview_and_commit_is_not_edited(tee, shopper, moderated, merchant):
    request = submit(tee, shopper, reduce(tee))
    tee.shopify.fulfill(tee.order.legacy_id)
    request_approve(request=request, moderator=merchant)

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.SHIPPED
    assert commits(tee) == []


def test_an_order_edited_in_the_store_since_the_preview_is_not_edited(tee, shopper):
    priced = price(tee, shopper, reduce(tee))
    # The merchant takes the wrap off in Shopify meanwhile.
    fast_client().order_edit_commit(
        order_gid=tee.order.shopify_gid,
        changes=[LineChange(line_item_gid=tee.wrap_line, quantity=0)],
        notify_customer=False,
        staff_note="by hand",
    )
    request = item_edit_submit(
        order=tee.order,
        shopper=shopper,
        line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
        snapshot=priced.snapshot,
        language="en",
    )

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.ORDER_CHANGED
    assert "current_quantity" in request.last_error
    assert len(commits(tee)) == 1  # the merchant's own


def test_a_price_that_moved_since_the_preview_is_not_committed(tee, shopper):
    priced = price(tee, shopper, reduce(tee))
    snapshot = dict(priced.snapshot, outstanding="-9.00")  # what the shopper saw, now different
    request = item_edit_submit(
        order=tee.order,
        shopper=shopper,
        line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
        snapshot=snapshot,
        language="en",
    )

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.ORDER_CHANGED
    assert "prices the edit at -10" in request.last_error
    assert commits(tee) == []


def test_a_commit_whose_answer_was_lost_is_found_and_never_sent_twice(tee, shopper):
    def lose_the_answer(request_id: int) -> None:
        raise ConnectionResetError("worker died after Shopify answered")

    HOOKS["after_call"].append(lose_the_answer)
    request = submit(tee, shopper, reduce(tee))
    clock = Clock()
    try:
        with pytest.raises(ConnectionResetError):
            push(request, clock=clock)
    finally:
        HOOKS["after_call"].remove(lose_the_answer)
    request.refresh_from_db()
    assert request.mutations.order_by("position")[0].answer_lost

    # The lease runs out; the next attempt reads the order, sees the edit, and only refunds.
    clock.advance(600)
    request = push(request, clock=clock)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert len(commits(tee)) == 1
    assert len(mutations(tee.shopify, "refundCreate", outcome=None)) == 1
    assert request.events.filter(detail__how="read", detail__operation="orderEditCommit").exists()


def test_a_merchant_moderates_an_edit_and_may_refund_nothing(tee, shopper, moderated, merchant):
    request = submit(tee, shopper, reduce(tee))
    assert request.state == Request.State.SUBMITTED

    request_approve(request=request, moderator=merchant, refund=RefundMethod.NONE, restock=False)
    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert mutations(tee.shopify, "refundCreate", outcome=None) == []
    assert tee.shopify.variant(tee.variants["M"]["id"])["inventory_quantity"] == 3  # not restocked


def test_an_open_cancel_stops_an_edit(tee, shopper, moderated):
    request_submit(order=tee.order, shopper=shopper, kind="cancel", reason_code="changed_my_mind")

    with pytest.raises(RequestNotAllowed) as refused:
        price(tee, shopper, reduce(tee))
    assert refused.value.code == "open_request"


def test_the_shopper_is_emailed_the_new_items_and_the_refund_in_their_language(tee, shopper):
    from django.core import mail

    from cancellations.tests.test_push import send_pending_emails

    priced = price(tee, shopper, reduce(tee))
    request = item_edit_submit(
        order=tee.order,
        shopper=shopper,
        line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
        snapshot=priced.snapshot,
        language="ko",
    )
    push(request)
    send_pending_emails()

    completed = next(m for m in mail.outbox if tee.order.name in m.subject and "변경" in m.subject)
    assert "Organic Cotton Tee (M) \u00d7 1" in completed.body
    assert "$10.00" in completed.body and "환불" in completed.body


def test_the_console_shows_the_edit_and_approves_it_with_shopifys_difference(client, tee, shopper, moderated):
    from django.urls import reverse

    from cancellations.tests.admin_support import moderator_make

    request = submit(tee, shopper, reduce(tee))
    client.force_login(moderator_make())

    page = client.get(reverse("admin:cancellations_request_change", args=[request.pk])).content.decode()
    assert "Items when the shopper asked" in page and "Refund $10.00 to the original payment" in page
    approve_url = reverse("admin:cancellations_request_approve")
    form = client.get(approve_url, {"ids": [request.pk]}).content.decode()
    assert 'name="edit_refund"' in form and "Refund $10.00" in form

    response = client.post(
        approve_url,
        {"ids": [request.pk], "confirm": "1", "edit_refund": "on", "restock": "on", "notify": "on"},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state != Request.State.SUBMITTED
    assert (request.refund, request.refund_amount) == (RefundMethod.PARTIAL, Decimal("10.00"))
    assert [m.operation for m in request.mutations.order_by("position")] == [
        "orderEditCommit",
        "refundCreate",
    ]


def test_an_order_shipped_while_the_edit_is_staged_is_not_committed(tee, shopper, monkeypatch):
    from shopify_sync.client import ShopifyClient

    request = submit(tee, shopper, swap(tee, "S"))
    execute = ShopifyClient.execute

    def ship_after_staging(self, document, operation, *args, **kwargs):
        answer = execute(self, document, operation, *args, **kwargs)
        if operation == "OrderEditSetQuantity":  # the warehouse ships between staging and commit
            tee.shopify.fulfill(tee.order.legacy_id)
        return answer

    monkeypatch.setattr(ShopifyClient, "execute", ship_after_staging)
    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.ORDER_CHANGED
    assert commits(tee) == []
    assert [line["current_quantity"] for line in tee.lines()] == [2, 1]


def test_an_order_shipped_at_the_very_moment_of_the_commit_is_refused_whole(tee, shopper, monkeypatch):
    from shopify_sync.client import ShopifyClient

    request = submit(tee, shopper, reduce(tee))
    execute = ShopifyClient.execute

    def ship_just_before_commit(self, document, operation, *args, **kwargs):
        if operation == "OrderEditCommit":
            tee.shopify.fulfill(tee.order.legacy_id)
        return execute(self, document, operation, *args, **kwargs)

    monkeypatch.setattr(ShopifyClient, "execute", ship_just_before_commit)
    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.SHIPPED
    assert commits(tee) == []  # Shopify refused it; nothing half-applied
    assert mutations(tee.shopify, "refundCreate", outcome=None) == []
