"""The moderation screens: the queue's order, columns, search and filters; decisions single and bulk,
each through the services; the request page with the order, both addresses and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cancellations.models import RefundMethod, Request, RequestEvent
from cancellations.tests.admin_support import (
    CHANGELIST,
    action_post,
    failed_make,
    moderated,
    moderator_make,
    pushes_queued,
    waiting_make,
)


@pytest.fixture
def moderator(client, db):
    user = moderator_make()
    client.force_login(user)
    return user


@pytest.fixture
def queue(shop, policy):
    return moderated(policy)


def changelist_ids(response) -> list[int]:
    return [row.pk for row in response.context["cl"].result_list]


# -- the queue -----------------------------------------------------------------------------------------


def test_the_queue_shows_waiting_requests_first_oldest_first(client, moderator, shop, queue):
    start = timezone.now() - timedelta(hours=5)
    with time_machine.travel(start, tick=False):
        (oldest,) = waiting_make(shop)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        (decided,) = waiting_make(shop)
        failed = failed_make(shop, moderator)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        (newer,) = waiting_make(shop)
    client.post(
        reverse("admin:cancellations_request_reject"), {"ids": [decided.pk], "confirm": "1", "message": "No"}
    )

    response = client.get(reverse(CHANGELIST))

    assert changelist_ids(response) == [oldest.pk, newer.pk, failed.pk, decided.pk]


def test_the_queue_row_links_the_order_to_shopify_admin_and_shows_the_window(client, moderator, shop, queue):
    (request,) = waiting_make(shop, reason_code="other", reason_text="<b>too late</b>")

    content = client.get(reverse(CHANGELIST)).content.decode()

    handle = shop.domain.removesuffix(".myshopify.com")
    assert f"https://admin.shopify.com/store/{handle}/orders/{request.order.legacy_id}" in content
    assert 'class="rq-badge rq-badge--waiting"' in content
    assert (
        "Other" in content and "&lt;b&gt;too late&lt;/b&gt;" in content and "<b>too late</b>" not in content
    )
    assert "left" in content  # 50 minutes left of the 60-minute window
    assert request.shopper_email in content


def test_the_queue_is_searched_by_order_name_and_email(client, moderator, shop, queue):
    first, second = waiting_make(shop, count=2)

    by_name = client.get(reverse(CHANGELIST), {"q": first.order.name})
    by_email = client.get(reverse(CHANGELIST), {"q": second.shopper_email})

    assert changelist_ids(by_name) == [first.pk]
    assert changelist_ids(by_email) == [second.pk]


def test_the_queue_filters_by_reason_kind_and_state(client, moderator, shop, queue):
    (mistake,) = waiting_make(shop, reason_code="ordered_by_mistake")
    (mind,) = waiting_make(shop, reason_code="changed_my_mind")
    (address,) = waiting_make(shop, kind=Request.Kind.ADDRESS_CHANGE)

    by_reason = client.get(reverse(CHANGELIST), {"reason": "ordered_by_mistake"})
    by_kind = client.get(reverse(CHANGELIST), {"kind__exact": "address_change"})
    by_state = client.get(reverse(CHANGELIST), {"state__exact": "submitted"})

    assert changelist_ids(by_reason) == [mistake.pk]
    assert changelist_ids(by_kind) == [address.pk]
    assert set(changelist_ids(by_state)) == {mistake.pk, mind.pk, address.pk}


def test_the_admin_index_shows_how_many_requests_wait(client, moderator, shop, queue):
    waiting_make(shop, count=3)
    failed_make(shop, moderator)

    content = client.get(reverse("admin:index")).content.decode()

    assert "<strong>3</strong>" in content and "requests waiting for a decision" in content
    assert "failed push to retry" in content


# -- decisions -----------------------------------------------------------------------------------------


def test_a_bulk_approval_queues_exactly_one_push_per_request(
    client, moderator, shop, queue, django_capture_on_commit_callbacks
):
    waiting = waiting_make(shop, count=12)
    page = action_post(client, "approve_selected", waiting)
    assert page.status_code == 200 and "Approve 12 requests" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:cancellations_request_approve"),
            {
                "ids": [r.pk for r in waiting],
                "confirm": "1",
                "refund": RefundMethod.STORE_CREDIT,
                "restock": "on",
                "message": "Done — sorry to see it go.",
            },
        )

    assert response.status_code == 302
    assert sorted(pushes_queued(callbacks)) == sorted(r.pk for r in waiting)
    approved = Request.objects.filter(pk__in=[r.pk for r in waiting])
    assert {(r.state, r.refund, r.restock, r.notify_customer, r.decided_by_id) for r in approved} == {
        (Request.State.APPROVED, RefundMethod.STORE_CREDIT, True, False, moderator.pk)
    }
    assert RequestEvent.objects.filter(request__in=approved, to_state=Request.State.APPROVED).count() == 12


def test_approving_twice_queues_no_second_push(
    client, moderator, shop, queue, django_capture_on_commit_callbacks
):
    waiting = waiting_make(shop, count=3)
    data = {"ids": [r.pk for r in waiting], "confirm": "1", "refund": RefundMethod.FULL}
    client.post(reverse("admin:cancellations_request_approve"), data)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("admin:cancellations_request_approve"), data, follow=True)

    assert pushes_queued(callbacks) == []
    assert "not allowed" in response.content.decode() or "#" in response.content.decode()


def test_a_single_approval_takes_a_partial_refund_and_a_message(client, moderator, shop, queue):
    (request,) = waiting_make(shop)
    url = reverse("admin:cancellations_request_approve")
    back = reverse("admin:cancellations_request_change", args=[request.pk])

    page = client.get(url, {"ids": request.pk, "next": back})
    missing = client.post(url, {"ids": request.pk, "confirm": "1", "refund": RefundMethod.PARTIAL})
    done = client.post(
        url,
        {
            "ids": request.pk,
            "confirm": "1",
            "refund": RefundMethod.PARTIAL,
            "refund_amount": "7.50",
            "notify": "on",
            "message": "We kept the shipping.",
            "next": back,
        },
    )

    assert page.status_code == 200 and 'value="partial"' in page.content.decode()
    assert (
        missing.status_code == 200 and "Enter the amount of the partial refund." in missing.content.decode()
    )
    assert done.status_code == 302 and done["Location"] == back
    request.refresh_from_db()
    assert (request.state, request.refund, request.refund_amount) == (
        Request.State.APPROVED,
        RefundMethod.PARTIAL,
        Decimal("7.50"),
    )
    assert (request.restock, request.notify_customer, request.decision_message) == (
        False,
        True,
        "We kept the shipping.",
    )


def test_a_refund_larger_than_the_order_is_refused_by_the_service(client, moderator, shop, queue):
    (request,) = waiting_make(shop)

    response = client.post(
        reverse("admin:cancellations_request_approve"),
        {"ids": request.pk, "confirm": "1", "refund": RefundMethod.PARTIAL, "refund_amount": "999"},
        follow=True,
    )

    assert response.status_code == 200 and "Approve 1 request" in response.content.decode()
    assert "at most 25.0000 USD" in response.content.decode()
    request.refresh_from_db()
    assert request.state == Request.State.SUBMITTED


def test_a_bulk_rejection_needs_a_message_and_tells_each_shopper(client, moderator, shop, queue):
    waiting = waiting_make(shop, count=3)
    page = action_post(client, "reject_selected", waiting)
    url = reverse("admin:cancellations_request_reject")

    empty = client.post(url, {"ids": [r.pk for r in waiting], "confirm": "1", "message": " "})
    done = client.post(url, {"ids": [r.pk for r in waiting], "confirm": "1", "message": "Already packed."})

    assert page.status_code == 200 and "Reject 3 requests" in page.content.decode()
    assert empty.status_code == 200
    assert done.status_code == 302
    rejected = Request.objects.filter(pk__in=[r.pk for r in waiting])
    assert {(r.state, r.decision_message) for r in rejected} == {(Request.State.REJECTED, "Already packed.")}


def test_retry_sends_failed_pushes_again_once_each(
    client, moderator, shop, queue, django_capture_on_commit_callbacks
):
    failed = [failed_make(shop, moderator) for _ in range(3)]
    (waiting,) = waiting_make(shop)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = action_post(client, "retry_selected", [*failed, waiting], follow=True)

    assert sorted(pushes_queued(callbacks)) == sorted(r.pk for r in failed)
    assert Request.objects.filter(pk__in=[r.pk for r in failed], state=Request.State.APPROVED).count() == 3
    assert f"#{waiting.pk}" in response.content.decode()  # refused by the service, reported, unchanged
    waiting.refresh_from_db()
    assert waiting.state == Request.State.SUBMITTED


# -- the request page ----------------------------------------------------------------------------------


def test_the_request_page_shows_the_order_both_addresses_and_the_audit_trail(client, moderator, shop, queue):
    (request,) = waiting_make(shop, kind=Request.Kind.ADDRESS_CHANGE)

    content = client.get(reverse("admin:cancellations_request_change", args=[request.pk])).content.decode()

    assert "Celadon cup" in content and "$25.00" in content
    assert "1 Main St" in content and "99 Queen St W" in content
    assert '<li class="rq-changed">99 Queen St W</li>' in content
    assert "shopper" in content and "submitted" in content  # the audit trail's first event
    assert reverse("admin:cancellations_request_approve") in content
    assert 'name="_save"' not in content  # nothing on a request is edited by hand


def test_the_request_page_of_a_failed_push_shows_its_plan_with_shopifys_answer(
    client, moderator, shop, queue
):
    request = failed_make(shop, moderator)

    content = client.get(reverse("admin:cancellations_request_change", args=[request.pk])).content.decode()

    plan = content[content.index('id="rq-plan"') :]
    assert "<code>orderCancel</code>" in plan and "Failed" in plan
    assert "gid://shopify/Job/42" in plan
    assert "Cannot cancel an order that has already been canceled" in plan
    assert reverse("admin:cancellations_request_retry") in content
    assert 'form="rq-retry-form"' in plan  # the failed call's own retry button


def test_a_merchant_retries_a_failed_call_from_the_plan(client, moderator, shop, queue):
    request = failed_make(shop, moderator)

    client.post(reverse("admin:cancellations_request_retry"), {"ids": request.pk})

    request.refresh_from_db()
    [call] = request.mutations.all()
    assert request.state == Request.State.APPROVED
    assert (call.state, call.attempt, call.error) == ("planned", 2, "")


def test_shopper_text_is_escaped_everywhere_in_the_console(client, moderator, shop, queue):
    (request,) = waiting_make(shop, reason_code="other", reason_text='<img src=x onerror="alert(1)">')

    pages = [
        client.get(reverse("admin:cancellations_request_change", args=[request.pk])),
        client.get(reverse(CHANGELIST)),
        client.get(reverse("admin:cancellations_request_approve"), {"ids": request.pk}),
    ]

    for page in pages:
        assert "<img src=x" not in page.content.decode()
        assert "&lt;img src=x" in page.content.decode()
