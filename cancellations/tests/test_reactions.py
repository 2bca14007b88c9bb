"""Open requests react when sync shows their order changed in the store (shipped, cancelled)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cancellations.models import Request
from cancellations.policy import MESSAGES
from cancellations.services import request_approve, request_submit
from shopify_sync.models import Order
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.tests.factories import OrderDataFactory


@pytest.fixture
def synced(shop, shopper):
    """An order that came in through sync (orders_upsert), and a way to sync a change to it."""
    now = timezone.now().replace(microsecond=0)
    data = OrderDataFactory(
        email=shopper.email,
        customer=None,
        processed_at=now - timedelta(minutes=5),
        created_at=now - timedelta(minutes=5),
        updated_at=now - timedelta(minutes=5),
        tags=(),
    )
    orders_upsert(shop=shop, orders=[data])
    order = Order.objects.get(shopify_gid=data.gid)

    def change(**fields):
        nonlocal data
        data = dataclasses.replace(data, updated_at=data.updated_at + timedelta(seconds=1), **fields)
        orders_upsert(shop=shop, orders=[data])

    return order, change


def submit(order, shopper, kind="cancel"):
    if kind == "cancel":
        return request_submit(
            order=order, shopper=shopper, kind=kind, reason_code="changed_my_mind", language="ko"
        )
    address = {"address1": "2 Side St", "city": "Arlington", "country_code": "US"}
    return request_submit(order=order, shopper=shopper, kind=kind, address=address)


def test_a_submitted_cancel_on_an_order_that_shipped_is_closed_with_the_reason(moderated, shopper, synced):
    order, change = synced
    request = submit(order, shopper)

    change(fulfillment_status="fulfilled")

    request.refresh_from_db()
    assert request.state == Request.State.REJECTED
    with translation.override("ko"):
        korean = str(MESSAGES["shipped"])
    assert request.decision_message == korean != str(MESSAGES["shipped"])  # in the shopper's language
    event = request.events.get(to_state="rejected")
    assert event.actor_label.startswith("system") and event.detail == {"reason": "shipped"} and event.notify


def test_an_approved_request_on_an_order_cancelled_in_the_store_fails_before_any_push(
    moderated, shopper, merchant, synced
):
    order, change = synced
    request = submit(order, shopper, kind="address_change")
    request_approve(request=request, moderator=merchant)

    change(cancelled_at=timezone.now(), cancel_reason="other", closed=True)

    request.refresh_from_db()
    assert request.state == Request.State.FAILED and request.failure_code == "cancelled_in_store"


def test_an_unrelated_change_leaves_requests_alone(moderated, shopper, synced):
    order, change = synced
    request = submit(order, shopper)

    change(note="please gift wrap")

    request.refresh_from_db()
    assert request.state == Request.State.SUBMITTED


def test_a_retried_request_whose_earlier_call_may_have_landed_is_left_to_the_push(
    moderated, shopper, merchant, synced
):
    order, change = synced
    request = submit(order, shopper)
    request_approve(request=request, moderator=merchant)
    request.mutations.update(first_sent_at=timezone.now())

    change(cancelled_at=timezone.now(), cancel_reason="customer", closed=True)

    request.refresh_from_db()
    assert request.state == Request.State.APPROVED  # the push reads Shopify and completes it as ours


def test_a_webhook_delivered_twice_moves_a_request_once(moderated, shopper, synced):
    order, change = synced
    request = submit(order, shopper)

    change(fulfillment_status="fulfilled")
    orders_upsert(shop=order.shop, orders=[])  # nothing
    from cancellations.services import requests_react_to_orders

    assert requests_react_to_orders(order_ids=[order.pk]) == 0
    assert request.events.filter(to_state="rejected").count() == 1


def test_a_cancel_that_failed_while_shopify_was_down_resumes_when_sync_shows_it_landed(
    policy, shopper, synced, django_capture_on_commit_callbacks
):
    order, change = synced
    request = submit(order, shopper)  # auto-approved
    Request.objects.filter(pk=request.pk).update(state="failed", failure_code="shopify_unavailable")
    request.mutations.update(state="failed", first_sent_at=timezone.now())

    with django_capture_on_commit_callbacks() as callbacks:
        change(cancelled_at=timezone.now(), cancel_reason="customer", closed=True)

    request.refresh_from_db()
    assert request.state == Request.State.APPROVED and request.failure_code == ""
    assert len(callbacks) == 1  # its push, which will read Shopify and complete it without calling
    assert request.events.last().detail == {"resumed": "the order shows cancelled after our call"}
    [call] = request.mutations.all()
    assert (call.state, call.attempt) == ("planned", 2)  # the push confirms it by reading Shopify
