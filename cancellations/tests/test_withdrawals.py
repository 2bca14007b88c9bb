"""The EU withdrawal function against the devstore: nothing shipped becomes a cancel (refunded in full),
shipped becomes a return of everything that shipped; the statement is kept with its time of receipt and
acknowledged by e-mail; the store's windows do not limit it, the withdrawal period after delivery does."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.errors import RequestNotAllowed
from cancellations.models import RefundMethod, Request, Withdrawal
from cancellations.selectors import OrderPass
from cancellations.services.withdrawals import (
    withdrawal_acknowledge,
    withdrawal_acknowledgements_requeue,
    withdrawal_check,
    withdrawal_submit,
)
from cancellations.tests.conftest import fast_client, mutations
from cancellations.tests.test_push import push
from shopify_sync.models import Order
from shopify_sync.services.mirror import orders_upsert


@pytest.fixture
def withdrawals_on(policy):
    policy.withdrawal_enabled = True
    policy.cancel_window_minutes = 1  # long past for every order here: the withdrawal ignores it
    policy.auto_approve_cancels = True
    policy.save()
    return policy


def _withdraw(order, shopper, **kwargs) -> Withdrawal:
    return withdrawal_submit(
        order=order,
        shopper=shopper,
        name=kwargs.pop("name", "Ada Lovelace"),
        email=kwargs.pop("email", "Ada@Example.com"),
        language=kwargs.pop("language", "en"),
        via="account",
        client=fast_client(),
        **kwargs,
    )


def _ship(shopify, shop, order) -> Order:
    shopify.fulfill(order.legacy_id)
    data = fast_client().order(order.shopify_gid)
    assert data is not None
    orders_upsert(shop=shop, orders=[data])
    return Order.objects.get(pk=order.pk)


def test_an_unshipped_order_is_cancelled_in_full_and_acknowledged(
    withdrawals_on, shopper, shopify, store_order
):
    order = store_order(processed_at=(timezone.now() - timedelta(days=3)).isoformat())
    withdrawal = _withdraw(order, shopper)

    request = withdrawal.request
    assert request.kind == Request.Kind.CANCEL and request.is_withdrawal
    assert request.state == Request.State.APPROVED  # the policy auto-approves cancels
    assert request.refund == RefundMethod.FULL
    assert withdrawal.email == "ada@example.com"
    assert order.name in withdrawal.statement and "Ada Lovelace" in withdrawal.statement

    assert withdrawal_acknowledge(withdrawal_id=withdrawal.pk) is True
    assert withdrawal_acknowledge(withdrawal_id=withdrawal.pk) is False  # once
    [ack] = [m for m in mail.outbox if "withdrawal" in m.subject]
    assert ack.to == ["ada@example.com"]
    assert withdrawal.statement in ack.body
    assert withdrawal.received_at.isoformat() in ack.body  # the time of receipt, to the second

    request = push(request)
    assert request.state == Request.State.COMPLETED, request.last_error
    assert shopify.order(order.legacy_id)["cancelled_at"] is not None
    [cancel] = mutations(shopify, "orderCancel", order)
    assert "originalPaymentMethodsRefund" in str(cancel["variables"])


def test_a_shipped_order_becomes_a_return_of_everything_shipped(
    withdrawals_on, shopper, shopify, shop, store_order
):
    order = store_order(
        line_items=[
            {"title": "Mug", "quantity": 2, "price": "15.00"},
            {"title": "Lamp", "quantity": 1, "price": "40.00"},
        ]
    )
    order = _ship(shopify, shop, order)
    withdrawal = _withdraw(order, shopper)
    request = withdrawal.request
    assert request.kind == Request.Kind.RETURN and request.is_withdrawal
    assert sorted((line["title"], line["quantity"]) for line in request.return_lines or []) == [
        ("Lamp", 1),
        ("Mug", 2),
    ]
    # Returns were never switched on in this policy: the withdrawal is the consumer's right regardless.
    assert withdrawals_on.allow_returns is False


def test_the_period_runs_fourteen_days_from_delivery(withdrawals_on, shopper, shopify, shop, store_order):
    order = _ship(shopify, shop, store_order())
    assert withdrawal_check(order=order, shopper=shopper, client=fast_client()).verdict  # on its way
    shopify.deliver(order.legacy_id, at=time.time() - 13 * 86400)
    assert withdrawal_check(order=order, shopper=shopper, client=fast_client()).verdict
    other = _ship(shopify, shop, store_order())
    shopify.deliver(other.legacy_id, at=time.time() - 15 * 86400)
    checked = withdrawal_check(order=other, shopper=shopper, client=fast_client())
    assert checked.verdict.code == "withdrawal_over"
    with pytest.raises(RequestNotAllowed):
        _withdraw(other, shopper)
    assert not Withdrawal.objects.filter(order=other).exists()


def test_off_unless_the_store_turns_it_on(policy, shopper, shopify, store_order):
    order = store_order()
    with pytest.raises(RequestNotAllowed) as refused:
        _withdraw(order, shopper)
    assert refused.value.code == "withdrawal_off"


def test_a_guest_withdraws_their_order_and_no_other(withdrawals_on, shopper, shopify, store_order):
    order = store_order()
    other = store_order()
    guest = OrderPass(order_id=order.pk, email=order.email)
    with pytest.raises(RequestNotAllowed):
        _withdraw(other, guest)
    withdrawal = _withdraw(order, guest)
    assert withdrawal.request.shopper is None and withdrawal.request.shopper_email == order.email


def test_a_second_withdrawal_while_the_first_is_open_is_refused(
    withdrawals_on, shopper, shopify, store_order
):
    withdrawals_on.auto_approve_cancels = False
    withdrawals_on.save()
    order = store_order()
    _withdraw(order, shopper)
    with pytest.raises(RequestNotAllowed) as refused:
        _withdraw(order, shopper)
    assert refused.value.code == "open_request"
    assert Withdrawal.objects.count() == 1


def test_an_acknowledgement_that_failed_is_sent_again_by_the_sweep(
    withdrawals_on, shopper, shopify, store_order, settings
):
    withdrawal = _withdraw(store_order(), shopper)
    settings.EMAIL_BACKEND = "cancellations.tests.test_notifications.BrokenBackend"
    with pytest.raises(OSError, match="SMTP"):
        withdrawal_acknowledge(withdrawal_id=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert withdrawal.acknowledged_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert withdrawal_acknowledgements_requeue(now=timezone.now() + timedelta(minutes=5)) == 1
    withdrawal.refresh_from_db()
    assert withdrawal.acknowledged_at is not None  # the eager task sent it
