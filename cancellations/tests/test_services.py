"""Submitting and deciding: ownership, policy, the window, auto-approval, audit, one open request."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from cancellations.errors import RequestNotAllowed
from cancellations.models import RefundMethod, Request, RequestEvent
from cancellations.services import (
    request_approve,
    request_reject,
    request_retry,
    request_submit,
)
from cancellations.services.transitions import Actor, request_move
from cancellations.tests.factories import ADDRESS, MerchantFactory, ShopperFactory

NEW_ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address1": "99 Queen St W",
    "city": "Toronto",
    "province_code": "on",
    "country_code": "ca",
    "zip": "M5H 2N2",
}


def submit(order, shopper, **kwargs):
    kwargs.setdefault("kind", Request.Kind.CANCEL)
    kwargs.setdefault("reason_code", "changed_my_mind")
    return request_submit(order=order, shopper=shopper, **kwargs)


def states(request):
    return [(e.from_state, e.to_state, e.actor_label) for e in request.events.order_by("pk")]


def test_a_new_policy_starts_with_the_default_reasons(policy):
    codes = list(policy.reasons.values_list("code", flat=True))

    assert codes[:2] == ["changed_my_mind", "ordered_by_mistake"] and codes[-1] == "other"
    assert policy.reasons.get(code="other").requires_text
    assert policy.reasons.get(code="changed_my_mind").label("ko") == "마음이 바뀌었어요"


def test_a_cancel_within_the_window_is_submitted_and_auto_approved_with_the_policy_defaults(
    policy, shopper, owned_order, django_capture_on_commit_callbacks
):
    order = owned_order()

    with django_capture_on_commit_callbacks() as callbacks:
        request = submit(order, shopper, language="ko-KR", reason_text="  ")

    assert request.state == Request.State.APPROVED
    assert (request.refund, request.restock, request.notify_customer) == (RefundMethod.FULL, True, True)
    assert request.language == "ko" and request.shopper_email == shopper.email
    assert request.due_at is not None and request.decided_by is None
    assert states(request) == [
        ("", "submitted", "shopper"),
        ("submitted", "approved", "system:auto-approve"),
    ]
    assert len(callbacks) == 2  # the push, and the shopper's "approved" e-mail


def test_a_moderated_cancel_waits_for_a_merchant(moderated, shopper, owned_order):
    request = submit(owned_order(), shopper)

    assert request.state == Request.State.SUBMITTED
    [event] = request.events.all()
    assert event.notify  # the merchant hears a request waits


def test_it_refuses_a_cancel_on_an_order_that_is_not_the_shoppers(policy, owned_order, db):
    stranger = ShopperFactory()

    with pytest.raises(RequestNotAllowed) as refused:
        submit(owned_order(), stranger)

    assert refused.value.code == "not_owner"
    assert not Request.objects.exists()


def test_it_accepts_a_cancel_one_second_before_the_deadline(policy, shopper, owned_order):
    order = owned_order()
    deadline = policy.deadline_for(order, Request.Kind.CANCEL)

    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        request = submit(order, shopper)

    assert request.state == Request.State.APPROVED


def test_it_refuses_a_cancel_one_second_after_the_deadline(policy, shopper, owned_order):
    order = owned_order()
    deadline = policy.deadline_for(order, Request.Kind.CANCEL)

    with (
        time_machine.travel(deadline + timedelta(seconds=1), tick=False),
        pytest.raises(RequestNotAllowed) as late,
    ):
        submit(order, shopper)

    assert late.value.code == "window_closed"
    assert "window" in late.value.message


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"fulfillment_status": "fulfilled"}, "shipped"),
        ({"cancelled_at": timezone.now()}, "cancelled"),
    ],
)
def test_it_refuses_orders_that_shipped_or_were_cancelled(policy, shopper, owned_order, fields, code):
    with pytest.raises(RequestNotAllowed) as refused:
        submit(owned_order(**fields), shopper)

    assert refused.value.code == code


def test_a_second_open_request_of_the_same_kind_is_refused(moderated, shopper, owned_order):
    order = owned_order()
    submit(order, shopper)

    with pytest.raises(RequestNotAllowed) as again:
        submit(order, shopper)

    assert again.value.code == "open_request"
    address = submit(order, shopper, kind=Request.Kind.ADDRESS_CHANGE, reason_code="", address=NEW_ADDRESS)
    assert address.state == Request.State.SUBMITTED


def test_the_database_refuses_two_open_requests_of_a_kind_on_one_order(moderated, shopper, owned_order):
    request = submit(owned_order(), shopper)

    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.create(order=request.order, kind=Request.Kind.CANCEL, state=Request.State.APPROVED)


def test_a_reason_is_required_and_other_needs_words(policy, shopper, owned_order):
    order = owned_order()
    with pytest.raises(RequestNotAllowed) as missing:
        submit(order, shopper, reason_code="")
    with pytest.raises(RequestNotAllowed) as unknown:
        submit(order, shopper, reason_code="made_up")
    with pytest.raises(RequestNotAllowed) as wordless:
        submit(order, shopper, reason_code="other")

    assert [missing.value.code, unknown.value.code, wordless.value.code] == [
        "reason_missing",
        "bad_reason",
        "reason_text_missing",
    ]
    assert submit(order, shopper, reason_code="other", reason_text="gift arrived twice").reason_text


def test_an_address_change_keeps_the_new_and_the_old_address(policy, shopper, owned_order):
    order = owned_order()

    request = submit(order, shopper, kind=Request.Kind.ADDRESS_CHANGE, reason_code="", address=NEW_ADDRESS)

    assert request.state == Request.State.APPROVED and request.refund == RefundMethod.NONE
    assert request.requested_address["address1"] == "99 Queen St W"
    assert (
        request.requested_address["country_code"] == "CA"
        and request.requested_address["province_code"] == "ON"
    )
    assert request.previous_address == order.shipping_address


def test_an_address_in_another_country_is_refused_by_default(policy, shopper, owned_order):
    with pytest.raises(RequestNotAllowed) as refused:
        submit(
            owned_order(),
            shopper,
            kind=Request.Kind.ADDRESS_CHANGE,
            address={**NEW_ADDRESS, "country_code": "US"},
        )

    assert refused.value.code == "country_change"


def test_it_refuses_an_address_change_to_the_current_address(policy, shopper, owned_order):
    order = owned_order()
    # The order's own address as a shopper might type it again: other case and spacing, the postal code
    # without its space.
    same = {
        **ADDRESS,
        "first_name": "ADA",
        "address1": " 1 main st ",
        "province_code": "on",
        "country_code": "ca",
        "zip": "m5v2t6",
    }

    with pytest.raises(RequestNotAllowed) as refused:
        submit(order, shopper, kind=Request.Kind.ADDRESS_CHANGE, reason_code="", address=same)

    assert refused.value.code == "address_unchanged"
    assert str(refused.value.message) == "The new address is the same as the current one."
    with translation.override("ko"):
        assert str(refused.value.message) == "새 주소가 현재 주소와 같습니다."
    assert not Request.objects.filter(order=order).exists()


def test_a_merchant_approves_after_the_window_with_a_partial_refund(
    moderated, shopper, merchant, owned_order
):
    order = owned_order(total_price_presentment=Decimal("40.00"))
    request = submit(order, shopper)

    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        approved = request_approve(
            request=request, moderator=merchant, refund="partial", refund_amount="12.5", restock=False
        )

    assert approved.state == Request.State.APPROVED
    assert (approved.refund, approved.refund_amount, approved.restock) == ("partial", Decimal("12.50"), False)
    assert approved.decided_by == merchant
    assert states(approved)[-1] == ("submitted", "approved", f"merchant:{merchant.username}")


@pytest.mark.parametrize("amount", ["0", "-1", "40.01", "lots", None])
def test_a_partial_refund_needs_an_amount_within_the_total(moderated, shopper, merchant, owned_order, amount):
    request = submit(owned_order(total_price_presentment=Decimal("40.00")), shopper)

    with pytest.raises(RequestNotAllowed):
        request_approve(request=request, moderator=merchant, refund="partial", refund_amount=amount)

    request.refresh_from_db()
    assert request.state == Request.State.SUBMITTED


def test_only_staff_decide(moderated, shopper, owned_order):
    request = submit(owned_order(), shopper)

    with pytest.raises(RequestNotAllowed) as refused:
        request_approve(request=request, moderator=shopper)

    assert refused.value.code == "not_merchant"


@pytest.mark.parametrize("decide", [request_approve, request_reject], ids=["approve", "reject"])
def test_staff_without_the_moderate_permission_cannot_decide_through_the_service(
    moderated, shopper, owned_order, decide
):
    """The console hides the buttons from them; the service refuses them too, whoever calls it."""
    request = submit(owned_order(), shopper)
    staff = MerchantFactory()  # staff, but not in the Moderators group

    with pytest.raises(RequestNotAllowed) as refused:
        decide(request=request, moderator=staff, message="no")

    assert refused.value.code == "not_merchant"
    request.refresh_from_db()
    assert request.state == Request.State.SUBMITTED


def test_a_rejection_carries_a_message_for_the_shopper(moderated, shopper, merchant, owned_order):
    request = submit(owned_order(), shopper)

    with pytest.raises(RequestNotAllowed):
        request_reject(request=request, moderator=merchant, message="  ")
    rejected = request_reject(request=request, moderator=merchant, message="Already packed, sorry.")

    assert rejected.state == Request.State.REJECTED
    assert rejected.decision_message == "Already packed, sorry."
    assert RequestEvent.objects.filter(request=rejected, to_state="rejected", notify=True).exists()


def test_a_decided_request_cannot_be_decided_again(moderated, shopper, merchant, owned_order):
    request = submit(owned_order(), shopper)
    request_reject(request=request, moderator=merchant, message="No.")

    with pytest.raises(RequestNotAllowed) as illegal:
        request_approve(request=request, moderator=merchant)

    assert illegal.value.code == "illegal_transition"
    request.refresh_from_db()
    assert request.state == Request.State.REJECTED


def test_a_failed_request_is_retried_keeping_what_the_push_knew(policy, shopper, merchant, owned_order):
    request = submit(owned_order(), shopper)
    now = timezone.now()
    Request.objects.filter(pk=request.pk).update(state="pushing", attempts=3)
    request.mutations.update(state="failed", first_sent_at=now, sent_at=now, sends=1, error="502")
    request_move(
        request.pk,
        to="failed",
        actor=Actor.system("push"),
        failure_code="shopify_unavailable",
        last_error="502",
    )

    retried = request_retry(request=request, moderator=merchant)

    assert retried.state == Request.State.APPROVED
    assert (retried.attempts, retried.failure_code, retried.last_error) == (0, "", "")
    [call] = retried.mutations.all()
    assert (call.state, call.first_sent_at, call.sends, call.error) == ("planned", now, 1, "")
    assert call.attempt == 2 and call.idempotency_key.endswith("-attempt-2")  # Shopify sees a new attempt
    assert states(retried)[-1] == ("failed", "approved", f"merchant:{merchant.username}")


def test_a_retry_is_refused_while_a_newer_request_is_open(policy, shopper, merchant, owned_order):
    order = owned_order()
    first = submit(order, shopper)
    Request.objects.filter(pk=first.pk).update(state="failed")
    submit(order, shopper)

    with pytest.raises(RequestNotAllowed) as refused:
        request_retry(request=first, moderator=merchant)

    assert refused.value.code == "open_request"
