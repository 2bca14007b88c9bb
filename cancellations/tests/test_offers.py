"""Offers to keep an order: which apply, what the shopper did with them, the bonus issued once the order
ships (a gift card, exactly once), and what the insights count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from cancellations import insights_offers, offers
from cancellations.insights import DateRange
from cancellations.models import Request, RetentionOffer, ShopifyMutation
from cancellations.services.offers import bonuses_issue, offer_take, offers_decline, offers_show
from cancellations.services.push import HOOKS
from cancellations.tests.conftest import fast_client
from cancellations.tests.test_push import Clock, push, send_pending_emails
from shopify_sync.services.mirror import orders_upsert


@pytest.fixture
def bonus_policy(policy):
    policy.offer_keep_bonus = True
    policy.keep_bonus_percent = Decimal("10")
    policy.save()
    return policy


def test_offers_answer_the_reason(policy, owned_order):
    order = owned_order()

    def kinds(reason: str, **can: bool) -> list[str]:
        allowed = {"can_edit_items": True, "can_change_address": True} | can
        return offers.offers_for(policy, order, reason_code=reason, **allowed)

    assert kinds("wrong_size_or_variant") == ["size_swap"]
    assert kinds("wrong_address") == ["address_fix"]
    assert kinds("changed_my_mind") == []
    assert kinds("wrong_size_or_variant", can_edit_items=False) == []
    assert kinds("wrong_address", can_change_address=False) == []
    policy.offer_size_swap = False
    assert kinds("wrong_size_or_variant") == []


def test_the_bonus_is_a_share_or_an_amount_and_needs_a_customer(bonus_policy, owned_order):
    from shopify_sync.tests.factories import CustomerFactory

    order = owned_order(total_price=Decimal("123.45"), customer=CustomerFactory(shop=bonus_policy.shop))
    assert offers.keep_bonus_amount(bonus_policy, order) == Decimal("12.35")
    assert "keep_bonus" in offers.offers_for(
        bonus_policy, order, reason_code="changed_my_mind", can_edit_items=True, can_change_address=True
    )
    bonus_policy.keep_bonus_percent, bonus_policy.keep_bonus_amount = None, Decimal("5.00")
    assert offers.keep_bonus_amount(bonus_policy, order) == Decimal("5.00")

    guest = owned_order(customer=None)
    assert offers.keep_bonus_amount(bonus_policy, guest) is None  # no account to hold the gift card


def test_the_code_is_derived_from_the_request_and_never_stored(settings):
    assert offers.bonus_code(7) == offers.bonus_code(7)
    assert offers.bonus_code(7) != offers.bonus_code(8)
    assert len(offers.bonus_code(7)) == 16 and offers.bonus_code(7).isalnum()
    before = offers.bonus_code(7)
    settings.SECRET_KEY = "another secret"
    assert offers.bonus_code(7) != before  # unguessable without the deployment's secret


def test_shown_taken_and_declined_are_counted_with_the_value_kept(policy, shopper, owned_order):
    kept = owned_order(total_price=Decimal("80.00"))
    cancelled = owned_order(total_price=Decimal("50.00"))
    shown = offers_show(
        order=kept, shopper=shopper, kinds=["address_fix"], reason_code="wrong_address", language="en"
    )
    offer_take(order=kept, offer_ids=[o.pk for o in shown], kind="address_fix")
    declined = offers_show(
        order=cancelled,
        shopper=shopper,
        kinds=["size_swap"],
        reason_code="wrong_size_or_variant",
        language="en",
    )
    offers_decline(order=cancelled, offer_ids=[o.pk for o in declined])

    today = timezone.localdate()
    rows = {r["kind"]: r for r in insights_offers.offers_by_kind(DateRange(today, today))}
    assert (rows["address_fix"]["shown"], rows["address_fix"]["taken"]) == (1, 1)
    assert rows["address_fix"]["kept_value"] == Decimal("80.00")
    assert (rows["size_swap"]["taken"], rows["size_swap"]["declined"]) == (0, 1)
    assert rows["size_swap"]["kept_value"] == 0
    assert [r["taken"] for r in insights_offers.offers_per_week(DateRange(today, today))] == [1]
    assert insights_offers.offers_by_kind(DateRange(date(2020, 1, 1), date(2020, 1, 2))) == []


def test_an_offer_of_another_order_cannot_be_taken(policy, shopper, owned_order):
    from cancellations.errors import RequestNotAllowed

    mine = owned_order()
    other = owned_order()
    shown = offers_show(
        order=mine, shopper=shopper, kinds=["address_fix"], reason_code="wrong_address", language="en"
    )

    with pytest.raises(RequestNotAllowed):
        offer_take(order=other, offer_ids=[o.pk for o in shown], kind="address_fix")
    assert RetentionOffer.objects.get().outcome == RetentionOffer.Outcome.SHOWN


# -- the bonus, against the devstore --------------------------------------------------------------------


def keep_for_bonus(order, shopper) -> RetentionOffer:
    shown = offers_show(
        order=order, shopper=shopper, kinds=["keep_bonus"], reason_code="changed_my_mind", language="ko"
    )
    return offer_take(order=order, offer_ids=[o.pk for o in shown], kind="keep_bonus")


def ship(shopify, shop, order) -> None:
    """The store ships the order; sync mirrors it (which issues the bonuses of shipped orders)."""
    shopify.fulfill(order.legacy_id)
    data = fast_client().order(order.shopify_gid)
    assert data is not None
    orders_upsert(shop=shop, orders=[data])


def test_a_kept_orders_bonus_is_issued_once_it_ships(bonus_policy, shopper, shopify, store_order, shop):
    order = store_order(line_items=[{"title": "Lamp", "quantity": 1, "price": "60.00"}])
    offer = keep_for_bonus(order, shopper)
    assert offer.bonus_amount == Decimal("6.00")
    assert bonuses_issue(order_ids=[order.pk]) == 0  # not shipped yet: nothing issued

    ship(shopify, shop, order)

    request = Request.objects.get(kind=Request.Kind.KEEP_BONUS)
    assert request.state == Request.State.APPROVED and request.credit_amount == Decimal("6.00")
    assert RetentionOffer.objects.get().request == request
    assert bonuses_issue(order_ids=[order.pk]) == 0  # never twice

    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    cards = shopify.gift_cards()
    assert len(cards) == 1
    assert cards[0]["code"] == offers.bonus_code(request.pk).lower()
    assert Decimal(cards[0]["initial_value"]) == Decimal("6.00")
    assert cards[0]["customer_id"] == order.customer.legacy_id
    send_pending_emails()
    [email] = [m for m in mail.outbox if m.to == [shopper.email]]
    assert offers.bonus_code(request.pk) in email.body  # only the shopper's e-mail carries the code
    assert "6.00" in email.body


def test_a_bonus_whose_answer_was_lost_is_found_by_its_code_not_issued_twice(
    bonus_policy, shopper, shopify, store_order, shop
):
    order = store_order()
    keep_for_bonus(order, shopper)
    ship(shopify, shop, order)
    request = Request.objects.get(kind=Request.Kind.KEEP_BONUS)

    def lose_the_answer(request_id: int) -> None:
        raise ConnectionResetError("worker died after Shopify answered")

    HOOKS["after_call"].append(lose_the_answer)
    clock = Clock()
    try:
        with pytest.raises(ConnectionResetError):
            push(request, clock=clock)
    finally:
        HOOKS["after_call"].remove(lose_the_answer)
    clock.advance(600)
    request = push(request, clock=clock)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert len(shopify.gift_cards()) == 1
    row = request.mutations.get(operation=ShopifyMutation.Operation.GIFT_CARD_CREATE)
    assert row.sends == 1


def test_a_cancelled_order_earns_no_bonus(bonus_policy, shopper, shopify, store_order, shop):
    order = store_order()
    keep_for_bonus(order, shopper)
    shopify.cancel(order.legacy_id)
    data = fast_client().order(order.shopify_gid)
    assert data is not None
    orders_upsert(shop=shop, orders=[data])

    assert bonuses_issue(order_ids=[order.pk]) == 0
    assert not Request.objects.filter(kind=Request.Kind.KEEP_BONUS).exists()
    assert shopify.gift_cards() == []
