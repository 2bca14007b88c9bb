"""Eligibility: which orders a shopper may ask to change, and until when."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations.models import Request
from cancellations.policy import address_verdict, order_verdict

CANCEL = Request.Kind.CANCEL


@pytest.fixture
def now():
    return timezone.now()


def test_a_fresh_unfulfilled_paid_order_is_eligible(policy, owned_order, now):
    order = owned_order(now=now)

    verdict = order_verdict(policy=policy, order=order, kind=CANCEL, now=now)

    assert verdict.allowed and verdict.code == "ok"
    assert verdict.deadline == order.processed_at + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"cancelled_at": timezone.now()}, "cancelled"),
        ({"fulfillment_status": "fulfilled"}, "shipped"),
        ({"fulfillment_status": "partially_fulfilled"}, "shipped"),
        ({"closed": True}, "closed"),
        ({"financial_status": "refunded"}, "payment_state"),
        ({"financial_status": "voided"}, "payment_state"),
        ({"tags": ["Wholesale"]}, "not_eligible"),
        ({"total_price": Decimal("5000.00")}, "not_eligible"),
        ({"risk_level": "high"}, "not_eligible"),
        ({"deleted_at": timezone.now()}, "deleted"),
    ],
)
def test_it_refuses_orders_the_policy_excludes(policy, owned_order, now, fields, code):
    policy.blocking_tags = "wholesale, pre-order"
    policy.max_order_total = Decimal("1000")
    order = owned_order(now=now, **fields)

    verdict = order_verdict(policy=policy, order=order, kind=CANCEL, now=now)

    assert not verdict.allowed
    assert verdict.code == code
    assert str(verdict.message)


@pytest.mark.parametrize("status", ["paid", "pending", "authorized", "partially_paid"])
def test_the_default_payment_states_are_allowed(policy, owned_order, now, status):
    order = owned_order(now=now, financial_status=status)

    assert order_verdict(policy=policy, order=order, kind=CANCEL, now=now).allowed


def test_high_risk_orders_are_allowed_when_the_merchant_says_so(policy, owned_order, now):
    policy.block_high_risk = False
    order = owned_order(now=now, risk_level="high")

    assert order_verdict(policy=policy, order=order, kind=CANCEL, now=now).allowed


def test_the_window_is_inclusive_to_the_second(policy, owned_order, now):
    order = owned_order(now=now, age=timedelta(minutes=60))
    deadline = policy.deadline_for(order, Request.Kind.CANCEL)

    assert order_verdict(policy=policy, order=order, kind=CANCEL, now=deadline - timedelta(seconds=1)).allowed
    assert order_verdict(policy=policy, order=order, kind=CANCEL, now=deadline).allowed
    late = order_verdict(policy=policy, order=order, kind=CANCEL, now=deadline + timedelta(seconds=1))
    assert late.code == "window_closed"


def test_each_kind_has_its_own_window(policy, owned_order, now):
    policy.cancel_window_minutes = 30
    policy.address_window_minutes = 120
    order = owned_order(now=now, age=timedelta(minutes=45))

    assert order_verdict(policy=policy, order=order, kind=CANCEL, now=now).code == "window_closed"
    assert order_verdict(policy=policy, order=order, kind=Request.Kind.ADDRESS_CHANGE, now=now).allowed


def test_an_open_request_is_named_before_the_window(policy, owned_order, now):
    order = owned_order(now=now, age=timedelta(days=1))

    verdict = order_verdict(policy=policy, order=order, kind=CANCEL, now=now, has_open_request=True)

    assert verdict.code == "open_request"


def test_the_country_may_change_only_when_the_policy_allows(policy, owned_order, now):
    order = owned_order(now=now)
    abroad = {"address1": "1 Rue", "city": "Paris", "country_code": "FR"}

    assert address_verdict(policy=policy, order=order, address=abroad).code == "country_change"
    assert address_verdict(policy=policy, order=order, address={**abroad, "country_code": "ca"}).allowed
    policy.allow_country_change = True
    assert address_verdict(policy=policy, order=order, address=abroad).allowed


@pytest.mark.parametrize("kind", [CANCEL, Request.Kind.ADDRESS_CHANGE, Request.Kind.ITEM_EDIT])
def test_an_order_being_prepared_is_not_changed_here(policy, owned_order, now, kind):
    order = owned_order(now=now)

    verdict = order_verdict(policy=policy, order=order, kind=kind, now=now, fulfillment_in_progress=True)

    assert (verdict.allowed, verdict.code) == (False, "in_progress")
    assert "preparing" in str(verdict.message)


def test_shipped_is_said_before_being_prepared(policy, owned_order, now):
    order = owned_order(now=now, fulfillment_status="partially_fulfilled")

    verdict = order_verdict(policy=policy, order=order, kind=CANCEL, now=now, fulfillment_in_progress=True)

    assert verdict.code == "shipped"
