"""The push against a real devstore: happy paths, races, lost answers and storms, exactly once.

Attempts are driven one by one here (`push` below) on a virtual clock that jumps over each backoff, so a
storm of failures takes no wall time; the real worker runs the same flows in test_worker.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from kombu import Queue

from cancellations.models import Request, RequestEvent
from cancellations.notifications import request_event_notify
from cancellations.policy import FAILURE_MESSAGES
from cancellations.queue import PUSH_PRIORITY, enqueue_push
from cancellations.services import (
    request_approve,
    request_push,
    request_retry,
    request_submit,
    requests_sweep,
)
from cancellations.services.push import HOOKS, SKIPPED
from cancellations.tasks import push_request, sweep_fulfilment_holds, sweep_requests
from cancellations.tests.conftest import fast_client, mutations
from portal.tasks import ping
from shopify_sync.enqueue import SWEEP_BACKLOG_LIMIT
from shopify_sync.models import Order
from shopify_sync.services.shops import shop_mark_uninstalled
from shopify_sync.tests.conftest import celery_app_in_use

NEW_ADDRESS = {
    "first_name": "Ada",
    "last_name": "Byron",
    "address1": "99 Queen St W",
    "address2": "Suite 5",
    "city": "Toronto",
    "province_code": "ON",
    "country_code": "CA",
    "zip": "M5H 2N2",
    "phone": "+1 416 555 0100",
}


class Clock:
    """Virtual time for the push: starts now, jumps forward by whatever an attempt asked to wait."""

    def __init__(self) -> None:
        self.at = timezone.now()

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def push(request: Request, *, clock: Clock | None = None, limit: int = 40) -> Request:
    """Run push attempts until the request needs none (as the task's retries would)."""
    clock = clock or Clock()
    for _ in range(limit):
        outcome = request_push(request_id=request.pk, client=fast_client(), now=clock)
        if outcome.retry_in is None:
            break
        clock.advance(outcome.retry_in)
    request.refresh_from_db()
    return request


def send_pending_emails() -> list:
    for event_id in RequestEvent.objects.filter(notify=True, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        request_event_notify(event_id=event_id)
    return mail.outbox


def cancel(order, shopper, **kwargs) -> Request:
    return request_submit(
        order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind", **kwargs
    )


def test_a_cancel_with_a_full_refund_completes_once_shopify_shows_it(policy, shopper, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)

    request = push(request)

    assert request.state == Request.State.COMPLETED
    [call] = request.mutations.all()
    assert (call.operation, call.state, call.sends) == ("orderCancel", "confirmed", 1)
    assert call.result_id.startswith("gid://shopify/Job/") and call.confirmed_at and request.completed_at
    [received] = mutations(shopify, "orderCancel", order, outcome=None)
    variables = received["variables"]
    assert variables["reason"] == "CUSTOMER" and variables["restock"] is True
    assert variables["notifyCustomer"] is True
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": True}
    assert f"#{request.pk}" in variables["staffNote"] and "changed_my_mind" in variables["staffNote"]
    in_store = shopify.order(order.legacy_id)
    assert in_store["cancelled_at"] and in_store["financial_status"] == "refunded"
    order.refresh_from_db()
    assert order.cancelled_at is not None  # the mirror shows it too
    assert [e.to_state for e in request.events.all() if e.is_transition] == [
        "submitted",
        "approved",
        "pushing",
        "completed",
    ]


def test_a_partial_refund_is_a_cancel_without_refund_then_one_refund(
    moderated, shopper, merchant, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)
    request_approve(
        request=request, moderator=merchant, refund="partial", refund_amount="12.00", notify=False
    )

    request = push(request)

    assert request.state == Request.State.COMPLETED
    cancel_row, refund_row = request.mutations.all()
    assert (cancel_row.operation, refund_row.operation) == ("orderCancel", "refundCreate")
    assert refund_row.state == "confirmed" and refund_row.result_id.startswith("gid://shopify/Refund/")
    [cancel_call] = mutations(shopify, "orderCancel", order, outcome=None)
    assert cancel_call["variables"]["refundMethod"] is None
    assert cancel_call["variables"]["notifyCustomer"] is False
    [refund_call] = mutations(shopify, "refundCreate", order, outcome=None)
    [transaction] = refund_call["variables"]["input"]["transactions"]
    assert Decimal(transaction["amount"]) == Decimal("12.00") and transaction["kind"] == "REFUND"
    assert refund_call["variables"]["idempotencyKey"] == refund_row.idempotency_key
    in_store = shopify.order(order.legacy_id)
    assert in_store["cancelled_at"] and in_store["financial_status"] == "partially_refunded"
    assert sum(Decimal(r["transactions"][0]["amount"]) for r in in_store["refunds"]) == Decimal("12.00")


def test_a_partial_refund_already_made_is_found_not_made_again(
    moderated, shopper, merchant, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant, refund="partial", refund_amount="5.00")
    # The refund lands, then the worker dies before recording Shopify's answer.
    crashed = []

    def crash_after_refund(request_id):
        if mutations(shopify, "refundCreate", order):
            crashed.append(request_id)
            raise WorkerDied

    HOOKS["after_call"].append(crash_after_refund)
    try:
        with pytest.raises(WorkerDied):
            push(request, limit=3)
    finally:
        HOOKS["after_call"].remove(crash_after_refund)
    assert crashed == [request.pk]
    refund_row = request.mutations.get(operation="refundCreate")
    assert refund_row.state == "sent" and refund_row.answer_lost

    request = push(request)

    assert request.state == Request.State.COMPLETED
    assert len(mutations(shopify, "refundCreate", order, outcome=None)) == 1
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1
    refund_row.refresh_from_db()
    assert refund_row.state == "confirmed" and refund_row.sends == 1
    assert request.events.filter(detail__operation="refundCreate", detail__how="read").exists()


def test_a_refund_whose_answer_was_lost_is_sent_again_with_the_same_key(
    moderated, shopper, merchant, shopify, store_order, hooks
):
    order = store_order()
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant, refund="partial", refund_amount="7.50")

    def fail_the_refund_call(request_id):
        call = Request.objects.get(pk=request_id).mutations.exclude(state="confirmed").first()
        if call is not None and call.operation == "refundCreate" and call.sends == 0:
            shopify.fault("http_502", count=1)

    hooks["after_read"].append(fail_the_refund_call)

    request = push(request)

    assert request.state == Request.State.COMPLETED
    calls = mutations(shopify, "refundCreate", order, outcome=None)
    assert [c["outcome"] for c in calls] == ["fault:http_502", "ok"]
    assert len({c["variables"]["idempotencyKey"] for c in calls}) == 1  # a resend of the same attempt
    assert len(shopify.order(order.legacy_id)["refunds"]) == 1


def test_a_failed_refund_retried_by_a_merchant_is_a_new_attempt_with_a_new_key(
    moderated, shopper, merchant, shopify, store_order, hooks
):
    order = store_order()
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant, refund="partial", refund_amount="3.00")

    def shopify_down_at_the_refund(request_id):
        call = Request.objects.get(pk=request_id).mutations.exclude(state="confirmed").first()
        if call is not None and call.operation == "refundCreate" and call.attempt == 1 and call.sends == 0:
            shopify.fault("http_500", count=500)

    # The cancel goes through; from the refund call on, Shopify answers 500 until a merchant retries.
    hooks["after_read"].append(shopify_down_at_the_refund)
    request = push(request)
    assert request.state == Request.State.FAILED and request.failure_code == "shopify_unavailable"
    cancel_row, refund_row = request.mutations.all()
    assert (cancel_row.state, refund_row.state, refund_row.attempt) == ("confirmed", "failed", 1)
    first_key = refund_row.idempotency_key
    shopify._request("DELETE", "/_devstore/faults")

    request_retry(request=request, moderator=merchant)
    request = push(request)

    assert request.state == Request.State.COMPLETED
    refund_row.refresh_from_db()
    assert refund_row.state == "confirmed" and refund_row.attempt == 2
    [sent] = mutations(shopify, "refundCreate", order, outcome="ok")
    assert sent["variables"]["idempotencyKey"] == refund_row.idempotency_key != first_key


class WorkerDied(Exception):
    """Stands for a worker killed at a hook point (the real SIGKILL is in test_worker.py)."""


@pytest.mark.parametrize(
    ("refund", "method"),
    [("store_credit", {"storeCreditRefund": {}}), ("none", None)],
)
def test_store_credit_and_no_refund_go_as_the_refund_method(
    moderated, shopper, merchant, shopify, store_order, refund, method
):
    order = store_order()
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant, refund=refund, restock=False)

    request = push(request)

    assert request.state == Request.State.COMPLETED
    [call] = mutations(shopify, "orderCancel", order, outcome=None)
    assert call["variables"]["refundMethod"] == method
    assert call["variables"]["restock"] is False
    assert not mutations(shopify, "refundCreate", order, outcome=None)


def test_an_address_change_completes_when_shopify_shows_the_new_address(
    policy, shopper, shopify, store_order
):
    order = store_order()
    request = request_submit(order=order, shopper=shopper, kind="address_change", address=NEW_ADDRESS)

    request = push(request)

    assert request.state == Request.State.COMPLETED
    [call] = mutations(shopify, "orderUpdate", order, outcome=None)
    assert call["variables"]["input"]["shippingAddress"]["address1"] == "99 Queen St W"
    in_store = shopify.order(order.legacy_id)["shipping_address"]
    assert (in_store["address1"], in_store["zip"], in_store["last_name"]) == (
        "99 Queen St W",
        "M5H 2N2",
        "Byron",
    )
    order.refresh_from_db()
    assert order.shipping_address["address1"] == "99 Queen St W"


def test_an_address_shopify_refuses_fails_at_once_with_shopifys_message(
    policy, shopper, shopify, store_order
):
    order = store_order()
    request = request_submit(
        order=order, shopper=shopper, kind="address_change", address={**NEW_ADDRESS, "province_code": "ZZ"}
    )

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == "shopify_refused" and request.attempts == 1
    assert "rovince" in request.last_error  # Shopify's own words, for the merchant
    assert len(mutations(shopify, "orderUpdate", order, outcome=None)) == 1


def test_the_race_an_order_fulfilled_before_the_push_is_never_cancelled(
    moderated, shopper, merchant, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper, language="ko")
    shopify.fulfill(order.legacy_id)
    request_approve(request=request, moderator=merchant)

    request = push(request)

    assert request.state == Request.State.FAILED and request.failure_code == "shipped"
    assert mutations(shopify, "orderCancel", order, outcome=None) == []
    assert not shopify.order(order.legacy_id)["cancelled_at"]
    shopper_mail = [m for m in send_pending_emails() if m.to == [shopper.email]][-1]
    with translation.override("ko"):
        shipped = str(FAILURE_MESSAGES[("shipped", "cancel")])
    assert shipped in shopper_mail.body and shipped != str(FAILURE_MESSAGES[("shipped", "cancel")])


def test_the_race_an_order_fulfilled_between_our_read_and_our_call(policy, shopper, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)
    HOOKS["after_read"].append(lambda request_id: shopify.fulfill(order.legacy_id))
    try:
        request = push(request)
    finally:
        HOOKS["after_read"].clear()

    assert request.state == Request.State.FAILED and request.failure_code == "shipped"
    assert not shopify.order(order.legacy_id)["cancelled_at"]
    assert "fulfilled" in request.last_error  # Shopify refused; the merchant sees its message


def test_an_order_cancelled_in_the_store_first_is_not_ours(
    moderated, shopper, merchant, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)
    shopify.cancel(order.legacy_id, reason="inventory")
    request_approve(request=request, moderator=merchant)

    request = push(request)

    assert request.state == Request.State.FAILED and request.failure_code == "cancelled_in_store"
    assert mutations(shopify, "orderCancel", order, outcome=None) == []


def test_a_push_delivered_twice_cancels_once(policy, shopper, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)

    push(request)
    again = request_push(request_id=request.pk, client=fast_client())

    assert again.state == SKIPPED
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1


def test_a_worker_that_died_right_after_the_call_is_finished_without_a_second_call(
    policy, shopper, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)

    def die(request_id):
        raise WorkerDied

    HOOKS["after_call"].append(die)
    try:
        with pytest.raises(WorkerDied):
            request_push(request_id=request.pk, client=fast_client())
    finally:
        HOOKS["after_call"].clear()
    request.refresh_from_db()
    assert request.state == Request.State.PUSHING and request.mutations.get().answer_lost

    request = push(request)

    assert request.state == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1
    assert request.events.filter(detail__how="read").exists()  # confirmed by reading, not by calling


def once(action):
    """A hook that runs `action` on the first attempt only."""
    done: list[int] = []

    def hook(request_id):
        if not done:
            done.append(request_id)
            action()

    return hook


@pytest.fixture
def hooks():
    yield HOOKS
    for point in HOOKS.values():
        point.clear()


def test_a_lost_answer_is_settled_by_reading_before_any_second_call(
    policy, shopper, shopify, store_order, hooks
):
    order = store_order()
    request = cancel(order, shopper)
    # The cancel itself is answered with a 502: Shopify may or may not have it.
    hooks["after_read"].append(once(lambda: shopify.fault("http_502", count=1)))

    request = push(request)

    assert request.state == Request.State.COMPLETED
    calls = mutations(shopify, "orderCancel", order, outcome=None)
    assert [c["outcome"] for c in calls] == ["fault:http_502", "ok"]
    assert request.events.filter(detail__step="transient_error", detail__may_have_applied=True).count() == 1


def test_a_storm_of_5xx_and_throttling_ends_in_one_cancel(policy, shopper, shopify, store_order, hooks):
    order = store_order()
    request = cancel(order, shopper)
    for kind, count in [("http_500", 2), ("throttle", 3), ("http_502", 1)]:
        shopify.fault(kind, count=count)
    hooks["after_read"].append(
        once(
            lambda: [shopify.fault(kind, count=1) for kind in ("timeout", "http_500", "throttle", "http_502")]
        )
    )

    request = push(request)

    assert request.state == Request.State.COMPLETED
    calls = mutations(shopify, "orderCancel", order, outcome=None)
    assert [c["outcome"] for c in calls].count("ok") == 1
    assert all(c["outcome"] != "user_errors" for c in calls)
    assert shopify.order(order.legacy_id)["cancelled_at"]


def test_transient_failures_are_bounded_then_the_merchant_sees_the_error(
    policy, shopper, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)
    shopify.fault("http_500", count=500)

    request = push(request)

    assert request.state == Request.State.FAILED and request.failure_code == "shopify_unavailable"
    assert "500" in request.last_error
    assert mutations(shopify, "orderCancel", order, outcome="ok") == []
    merchant_mail = [m for m in send_pending_emails() if m.to == ["staff@store.example"]]
    assert merchant_mail and "500" in merchant_mail[-1].body


def test_a_failed_request_retried_by_a_merchant_completes(policy, shopper, merchant, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)
    shopify.fault("http_500", count=500)
    push(request)
    shopify._request("DELETE", "/_devstore/faults")  # Shopify is back

    request_retry(request=request, moderator=merchant)
    request = push(request)

    assert request.state == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome="ok")) == 1


def test_a_token_shopify_ended_before_the_push_is_renewed_and_the_order_cancelled_once(
    policy, shopper, shopify, store_order
):
    order = store_order()  # the portal holds a token from reading the order
    request = cancel(order, shopper)
    assert shopify.expire_tokens() == 1

    request = push(request)

    assert request.state == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome="ok")) == 1
    assert len([t for t in shopify.tokens() if t["grant"] == "client_credentials"]) == 2


def test_a_push_for_a_shop_that_uninstalled_the_app_fails_with_the_reason_and_sends_nothing(
    policy, shopper, shopify, store_order
):
    order = store_order()
    request = cancel(order, shopper)
    shop_mark_uninstalled(shop=order.shop)

    request = push(request)

    assert request.state == Request.State.FAILED and request.failure_code == "shopify_unavailable"
    assert "the app is uninstalled from" in request.last_error
    assert mutations(shopify, "orderCancel", order, outcome=None) == []


def test_the_sweeper_requeues_an_approval_the_broker_never_took(policy, shopper, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)  # approved; its on-commit push never ran (as if Redis were down)
    Request.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(minutes=5))

    result = requests_sweep()  # eager here: the re-queued push runs at once

    request.refresh_from_db()
    assert result.pushes_queued == 1
    assert request.state in (Request.State.PUSHING, Request.State.COMPLETED)
    request = push(request)
    assert request.state == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1


def test_the_sweeper_leaves_a_request_a_live_worker_holds(policy, shopper, shopify, store_order):
    request = cancel(store_order(), shopper)
    Request.objects.filter(pk=request.pk).update(
        state="pushing",
        due_at=timezone.now() - timedelta(minutes=5),
        lease_expires_at=timezone.now() + timedelta(minutes=1),
    )

    assert requests_sweep().pushes_queued == 0


def test_the_mirror_is_updated_from_what_the_push_read(policy, shopper, shopify, store_order):
    order = store_order()
    request = cancel(order, shopper)

    push(request)

    assert Order.objects.get(pk=order.pk).cancelled_at is not None


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): a real queue to fill")
def test_the_sweeper_adds_no_copies_while_the_broker_holds_a_backlog_of_pushes(
    policy, shopper, shopify, store_order
):
    request = cancel(store_order(), shopper)  # approved; its on-commit push never ran
    Request.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    queue = f"sweep-test-{uuid.uuid4().hex}"
    with celery_app_in_use(task_default_queue=queue) as app:
        for _ in range(SWEEP_BACKLOG_LIMIT + 1):  # pushes the workers have not reached yet
            ping.apply_async(retry=False, priority=PUSH_PRIORITY)

        assert requests_sweep().pushes_queued == 0

        _purge(app, queue)  # the workers caught up
        assert requests_sweep().pushes_queued == 1
        _purge(app, queue)


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): a real queue to fill")
def test_the_sweeper_requeues_a_push_ahead_of_a_backlog_of_other_tasks(policy, shopper, shopify, store_order):
    request = cancel(store_order(), shopper)  # approved while the broker was down: never queued
    Request.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    queue = f"sweep-test-{uuid.uuid4().hex}"
    with celery_app_in_use(task_default_queue=queue) as app:
        for _ in range(SWEEP_BACKLOG_LIMIT + 1):  # the webhooks and e-mails the outage held up
            ping.apply_async(retry=False)

        swept = requests_sweep()

        with app.connection_for_read() as connection:
            waiting = connection.SimpleQueue(queue, no_ack=True)
            first = waiting.get(timeout=2).headers["task"]
            waiting.close()
        _purge(app, queue)
    assert swept.pushes_queued == 1 and swept.emails_queued == 0
    assert first == push_request.name


def _purge(app, queue: str) -> None:
    with app.connection_for_write() as connection:
        Queue(queue).bind(connection.default_channel).purge()


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): Redis priorities")
def test_a_push_is_taken_before_the_tasks_queued_ahead_of_it(policy, shopper, shopify, store_order):
    request = cancel(store_order(), shopper)
    queue = f"priority-test-{uuid.uuid4().hex}"
    with celery_app_in_use(task_default_queue=queue) as app:
        for _ in range(3):  # e.g. webhook deliveries and e-mails waiting
            ping.apply_async(retry=False)
        assert enqueue_push(request.pk)

        with app.connection_for_read() as connection:
            waiting = connection.SimpleQueue(queue, no_ack=True)
            taken = [waiting.get(timeout=2).headers["task"] for _ in range(4)]
            waiting.close()
    assert taken == [push_request.name, ping.name, ping.name, ping.name]


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): Redis priorities")
def test_the_sweeps_are_taken_before_the_tasks_a_broker_outage_held_up():
    queue = f"priority-test-{uuid.uuid4().hex}"
    with celery_app_in_use(task_default_queue=queue) as app:
        for _ in range(3):  # webhook deliveries and e-mails waiting since the outage
            ping.apply_async(retry=False)
        sweep_requests.apply_async(retry=False)  # as beat sends it
        sweep_fulfilment_holds.apply_async(retry=False)

        with app.connection_for_read() as connection:
            waiting = connection.SimpleQueue(queue, no_ack=True)
            taken = [waiting.get(timeout=2).headers["task"] for _ in range(5)]
            waiting.close()
    assert taken[:2] == [sweep_requests.name, sweep_fulfilment_holds.name]


def test_a_cancel_job_that_finishes_without_cancelling_fails_the_request_once(
    policy, shopper, shopify, store_order
):
    order = store_order()
    shopify.fault("fail_jobs", count=1)
    request = cancel(order, shopper)

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.NOT_CONFIRMED
    assert "finished without the change" in request.last_error
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1  # never resent in a loop
    assert shopify.order(order.legacy_id)["cancelled_at"] is None


def test_a_frozen_shop_fails_the_push_at_once_saying_so(policy, shopper, shopify, store_order):
    order = store_order()
    shopify.set_shop_state("frozen")
    request = cancel(order, shopper)

    request = push(request)

    assert request.state == Request.State.FAILED
    assert request.failure_code == Request.Failure.SHOPIFY_UNAVAILABLE
    assert "frozen" in request.last_error
    assert request.attempts == 1  # not retried: nothing will change until the merchant pays
    assert mutations(shopify, "orderCancel", order, outcome=None) == []


def test_a_store_without_auto_archive_gets_the_cancelled_order_closed_once(
    policy, shopper, shopify, store_order
):
    shopify.set_auto_archive(False)
    policy.close_after_cancel = True
    policy.save()
    order = store_order()

    request = push(cancel(order, shopper))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert [m.operation for m in request.mutations.order_by("position")] == ["orderCancel", "orderClose"]
    assert shopify.order(order.legacy_id)["closed_at"] is not None
    assert len(mutations(shopify, "orderClose", outcome=None)) == 1
    order.refresh_from_db()
    assert order.closed and order.cancelled_at is not None  # the mirror shows it archived


def test_with_auto_archive_the_close_is_confirmed_by_reading(policy, shopper, shopify, store_order):
    policy.close_after_cancel = True
    policy.save()
    order = store_order()

    request = push(cancel(order, shopper))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert mutations(shopify, "orderClose", outcome=None) == []  # Shopify archived it with the cancel


def test_a_partial_refund_is_spread_over_the_payments_as_shopify_suggests(
    policy, moderated, merchant, shopper, shopify, store_order
):
    order = store_order(
        currency="USD",
        line_items=[{"title": "Boots", "quantity": 1, "price": "50.00"}],
        payments=[
            {"gateway": "shopify_payments", "amount": "30.00", "kind": "sale"},
            {"gateway": "gift_card", "amount": "20.00"},
        ],
    )
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant, refund="partial", refund_amount="35.00")

    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    [call] = mutations(shopify, "refundCreate", outcome=None)
    sent = [(t["gateway"], Decimal(t["amount"])) for t in call["variables"]["input"]["transactions"]]
    assert sent == [("shopify_payments", Decimal("30.00")), ("gift_card", Decimal("5.00"))]
    assert shopify.order(order.legacy_id)["financial_status"] == "partially_refunded"
