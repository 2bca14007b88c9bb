"""Returns after shipping against the devstore: what may be sent back, the request, the push that asks
Shopify for the return at submit and then approves or declines it, once each, and a decision made in
Shopify's admin followed here."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.services import (
    request_approve,
    request_push,
    request_reject,
    requests_react_to_orders,
    requests_sweep,
)
from cancellations.services.push import HOOKS
from cancellations.services.returns import return_follow_shopify, return_options, return_submit
from cancellations.tests.conftest import SHOP_DOMAIN, fast_client, mutations
from cancellations.tests.test_push import Clock, push, send_pending_emails
from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.tests.conftest import queued


@pytest.fixture
def returns_on(policy):
    policy.allow_returns = True
    policy.save()
    return policy


@pytest.fixture
def shipped(shopify, shop, store_order):
    """An order of two mugs and a lamp, shipped, mirrored."""
    order = store_order(
        line_items=[
            {"title": "Mug", "quantity": 2, "price": "15.00"},
            {"title": "Lamp", "quantity": 1, "price": "40.00"},
        ]
    )
    shopify.fulfill(order.legacy_id)
    data = fast_client().order(order.shopify_gid)
    assert data is not None
    orders_upsert(shop=shop, orders=[data])
    return Order.objects.get(pk=order.pk)


def ask(order, shopper, mugs: int = 1, reason: str = "SIZE_TOO_SMALL") -> Request:
    lines = return_options(order=order, shopper=shopper, client=fast_client())
    mug = next(line for line in lines if line.title == "Mug")
    return return_submit(
        order=order,
        shopper=shopper,
        quantities={mug.fulfillment_line_item_gid: mugs},
        reason=reason,
        note="chipped handle",
        language="en",
        client=fast_client(),
    )


def test_the_shipped_lines_are_offered(returns_on, shopper, shipped):
    lines = return_options(order=shipped, shopper=shopper, client=fast_client())
    assert sorted((line.title, line.returnable) for line in lines) == [("Lamp", 1), ("Mug", 2)]


def test_an_unshipped_order_or_a_store_without_returns_says_why(policy, shopper, store_order, returns_on):
    with pytest.raises(RequestNotAllowed) as refused:
        return_options(order=store_order(), shopper=shopper, client=fast_client())
    assert refused.value.code == "not_shipped"
    returns_on.allow_returns = False
    returns_on.save()
    with pytest.raises(RequestNotAllowed) as refused:
        return_options(order=store_order(), shopper=shopper, client=fast_client())
    assert refused.value.code == "returns_off"


def test_more_than_shipped_is_refused(returns_on, shopper, shipped):
    with pytest.raises(RequestNotAllowed) as refused:
        ask(shipped, shopper, mugs=3)
    assert refused.value.code == "bad_quantity"
    assert not Request.objects.exists()


def test_an_approved_return_is_requested_and_opened_in_shopify_once(
    returns_on, merchant, shopper, shopify, shipped
):
    request = ask(shipped, shopper)
    assert request.state == Request.State.SUBMITTED  # the store reviews returns by default

    request_approve(request=request, moderator=merchant)
    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    [opened] = shopify.returns(shipped.legacy_id)
    assert opened["status"] == "open"
    assert [(line["quantity"], line["return_reason"]) for line in opened["line_items"]] == [
        (1, "size_too_small")
    ]
    assert f"request #{request.pk}" in opened["line_items"][0]["customer_note"]
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert len(mutations(shopify, "returnApproveRequest", outcome=None)) == 1
    # What this return holds cannot be asked for again.
    lines = return_options(order=shipped, shopper=shopper, client=fast_client())
    assert sorted((line.title, line.returnable) for line in lines) == [("Lamp", 1), ("Mug", 1)]


def test_a_return_whose_answer_was_lost_is_found_not_requested_twice(
    returns_on, merchant, shopper, shopify, shipped
):
    request = ask(shipped, shopper)
    request_approve(request=request, moderator=merchant)

    def lose_the_first_answer(request_id: int) -> None:
        HOOKS["after_call"].remove(lose_the_first_answer)
        raise ConnectionResetError("worker died after Shopify answered")

    HOOKS["after_call"].append(lose_the_first_answer)
    clock = Clock()
    with pytest.raises(ConnectionResetError):
        push(request, clock=clock)
    clock.advance(600)
    request = push(request, clock=clock)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert shopify.returns(shipped.legacy_id)[0]["status"] == "open"


def test_a_rejected_return_asks_shopify_nothing(returns_on, merchant, shopper, shopify, shipped):
    request = ask(shipped, shopper)
    request_reject(request=request, moderator=merchant, message="Final sale")

    assert shopify.returns(shipped.legacy_id) == []


def test_auto_approved_returns_go_out_at_once(returns_on, shopper, shopify, shipped):
    returns_on.auto_approve_returns = True
    returns_on.save()

    request = push(ask(shipped, shopper))

    assert request.state == Request.State.COMPLETED, request.last_error
    assert shopify.returns(shipped.legacy_id)[0]["status"] == "open"


def test_the_shopper_page_asks_for_a_return_in_korean(client, returns_on, shopper, shopify, shipped):
    from django.urls import reverse

    client.force_login(shopper)
    detail = client.get(reverse("orders:detail", args=[shipped.legacy_id])).content.decode()
    url = reverse("orders:return", args=[shipped.legacy_id])
    assert url in detail

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert page.status_code == 200
    assert "반품" in page.content.decode()
    names = [row["line"].title for row in page.context["form"].rows()]
    mug = names.index("Mug")

    response = client.post(url, {f"quantity_{mug}": "2", f"quantity_{1 - mug}": "0", "reason": "DEFECTIVE"})

    assert response.status_code == 302
    request = Request.objects.get()
    assert (request.kind, request.reason_code) == ("return", "DEFECTIVE")
    assert [line["quantity"] for line in request.return_lines or ()] == [2]


def test_the_page_explains_what_to_fix(client, returns_on, shopper, shopify, shipped):
    from django.urls import reverse

    client.force_login(shopper)
    url = reverse("orders:return", args=[shipped.legacy_id])
    response = client.post(url, {"quantity_0": "0", "quantity_1": "0"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose at least one item to return." in page and "Choose a reason." in page
    assert not Request.objects.exists()


def test_the_console_shows_the_items_to_return(client, returns_on, shopper, shopify, shipped):
    from django.urls import reverse

    from cancellations.tests.admin_support import moderator_make

    request = ask(shipped, shopper, mugs=2)
    client.force_login(moderator_make())

    page = client.get(reverse("admin:cancellations_request_change", args=[request.pk])).content.decode()

    assert "Items to return" in page and "Mug  &#215; 2" in page
    assert "old and new" not in page  # no address section for a return


# -- the return in Shopify from submit, decided here or there ----------------------------------------


def shopify_return(shopify, order: Order) -> dict:
    [found] = shopify.returns(order.legacy_id)
    return found


def rows(request: Request) -> list[tuple[str, str]]:
    return list(request.mutations.order_by("position").values_list("operation", "state"))


def test_a_submitted_return_is_requested_in_shopify_and_waits_for_the_store(
    returns_on, shopper, shopify, shipped
):
    request = push(ask(shipped, shopper))

    assert request.state == Request.State.SUBMITTED  # undecided: the store reviews it
    assert shopify_return(shopify, shipped)["status"] == "requested"
    assert rows(request) == [("returnRequest", "confirmed")]
    assert request.mutations.get().result_id == shopify_return(shopify, shipped)["admin_graphql_api_id"]
    assert not request.events.filter(to_state=Request.State.PUSHING).exists()
    assert request_push(request_id=request.pk, client=fast_client()).state == "skipped"  # nothing left
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1


def test_a_lost_answer_at_submit_is_found_again_not_requested_twice(returns_on, shopper, shopify, shipped):
    request = ask(shipped, shopper)

    def lose_the_answer(request_id: int) -> None:
        HOOKS["after_call"].remove(lose_the_answer)
        raise ConnectionResetError("worker died after Shopify answered")

    HOOKS["after_call"].append(lose_the_answer)
    clock = Clock()
    with pytest.raises(ConnectionResetError):
        push(request, clock=clock)
    assert request.mutations.get().answer_lost
    request = push(request, clock=clock)

    assert request.state == Request.State.SUBMITTED
    assert rows(request) == [("returnRequest", "confirmed")]
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert request.events.filter(detail__step="confirmed", detail__how="read").exists()


def test_approving_a_requested_return_only_approves_it(returns_on, merchant, shopper, shopify, shipped):
    request = push(ask(shipped, shopper))

    request_approve(request=request, moderator=merchant, message="Send it back within two weeks")
    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert shopify_return(shopify, shipped)["status"] == "open"
    assert rows(request) == [("returnRequest", "confirmed"), ("returnApproveRequest", "confirmed")]
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert len(mutations(shopify, "returnApproveRequest", outcome=None)) == 1


def test_rejecting_declines_the_return_in_shopify_with_the_message(
    returns_on, merchant, shopper, shopify, shipped, mailoutbox
):
    request = push(ask(shipped, shopper))

    request_reject(request=request, moderator=merchant, message="Worn items cannot be returned")
    request = push(request)

    assert request.state == Request.State.REJECTED
    assert rows(request) == [("returnRequest", "confirmed"), ("returnDeclineRequest", "confirmed")]
    declined = shopify_return(shopify, shipped)
    assert declined["status"] == "declined"
    assert declined["decline"] == {"reason": "other", "note": "Worn items cannot be returned"}
    [call] = mutations(shopify, "returnDeclineRequest", outcome=None)
    assert call["variables"]["input"]["declineReason"] == "OTHER"
    rejected = [m for m in send_pending_emails() if shopper.email in m.to and "not accepted" in m.subject]
    assert len(rejected) == 1 and "Worn items cannot be returned" in rejected[0].body


def test_a_decline_whose_answer_was_lost_is_not_sent_twice(returns_on, merchant, shopper, shopify, shipped):
    request = push(ask(shipped, shopper))
    request_reject(request=request, moderator=merchant, message="Final sale")

    def lose_the_answer(request_id: int) -> None:
        HOOKS["after_call"].remove(lose_the_answer)
        raise ConnectionResetError("worker died after Shopify answered")

    HOOKS["after_call"].append(lose_the_answer)
    clock = Clock()
    with pytest.raises(ConnectionResetError):
        push(request, clock=clock)
    clock.advance(600)
    request = push(request, clock=clock)

    assert rows(request) == [("returnRequest", "confirmed"), ("returnDeclineRequest", "confirmed")]
    assert len(mutations(shopify, "returnDeclineRequest", outcome=None)) == 1
    assert shopify_return(shopify, shipped)["status"] == "declined"


def test_an_approval_during_the_request_to_shopify_takes_over_after_it(
    returns_on, merchant, shopper, shopify, shipped, django_capture_on_commit_callbacks
):
    request = ask(shipped, shopper)

    def approve_now(request_id: int) -> None:
        HOOKS["after_read"].remove(approve_now)
        request_approve(request=Request.objects.get(pk=request_id), moderator=merchant)

    HOOKS["after_read"].append(approve_now)
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = request_push(request_id=request.pk, client=fast_client())

    assert outcome.state == "skipped"  # the undecided push stopped at its next write: nothing was sent
    assert mutations(shopify, "returnRequest", outcome=None) == []
    assert ("cancellations.tasks.push_request", (request.pk,)) in queued(callbacks)  # the decision's push
    request = push(request)
    assert request.state == Request.State.COMPLETED, request.last_error
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert shopify_return(shopify, shipped)["status"] == "open"


def test_a_rejection_while_the_request_call_is_out_declines_what_it_made(
    returns_on, merchant, shopper, shopify, shipped
):
    request = ask(shipped, shopper)

    def reject_now(request_id: int) -> None:
        HOOKS["after_call"].remove(reject_now)
        request_reject(request=Request.objects.get(pk=request_id), moderator=merchant, message="No returns")

    HOOKS["after_call"].append(reject_now)
    assert request_push(request_id=request.pk, client=fast_client()).state == "skipped"
    request = push(request)

    assert request.state == Request.State.REJECTED
    assert rows(request) == [("returnRequest", "confirmed"), ("returnDeclineRequest", "confirmed")]
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert shopify_return(shopify, shipped)["status"] == "declined"


def test_a_return_shopify_refuses_at_submit_waits_for_the_merchant(
    returns_on, merchant, shopper, shopify, shipped
):
    request = ask(shipped, shopper, mugs=2)
    # Meanwhile one of the mugs went into a return made in Shopify's admin.
    [line] = request.return_lines or []
    fli = line["fulfillment_line_item_gid"]
    taken = shopify.graphql(
        "mutation($input: ReturnRequestInput!) { returnRequest(input: $input) { userErrors { message } } }",
        {
            "input": {
                "orderId": shipped.shopify_gid,
                "returnLineItems": [{"fulfillmentLineItemId": fli, "quantity": 1, "returnReason": "OTHER"}],
            }
        },
    )
    assert taken["data"]["returnRequest"]["userErrors"] == []

    request = push(request)

    assert request.state == Request.State.SUBMITTED  # the call failed, not the request
    assert rows(request) == [("returnRequest", "failed")]
    assert "can no longer be returned" in request.last_error
    request_approve(request=request, moderator=merchant)  # tried again with the decision, and fails
    request = push(request)
    assert request.state == Request.State.FAILED and request.failure_code == Request.Failure.SHOPIFY_REFUSED


def test_approved_in_shopify_approves_and_completes_without_calling_again(
    returns_on, shopper, shopify, shipped, mailoutbox
):
    request = push(ask(shipped, shopper))
    shopify.approve_return(shopify_return(shopify, shipped)["id"])

    assert return_follow_shopify(request_id=request.pk, client=fast_client()) == Request.State.APPROVED
    request = push(request)

    assert request.state == Request.State.COMPLETED, request.last_error
    assert mutations(shopify, "returnApproveRequest", outcome=None) == []
    approve_row = request.mutations.get(operation="returnApproveRequest")
    assert approve_row.state == "confirmed" and approve_row.sends == 0
    approved = request.events.get(to_state=Request.State.APPROVED)
    assert approved.actor_label == "Shopify" and approved.detail["status"] == "open"
    subjects = {m.subject for m in send_pending_emails() if shopper.email in m.to}
    assert f"Your request for order {shipped.name} is approved" in subjects


def test_declined_in_shopify_rejects_with_shopifys_note(returns_on, shopper, shopify, shipped, mailoutbox):
    request = push(ask(shipped, shopper))
    shopify.decline_return(shopify_return(shopify, shipped)["id"], note="The mug was used")

    assert return_follow_shopify(request_id=request.pk, client=fast_client()) == Request.State.REJECTED
    request = push(request)  # the decline is there already: confirmed by reading

    request.refresh_from_db()
    assert request.decision_message == "The mug was used" and request.decided_by is None
    assert rows(request) == [("returnRequest", "confirmed"), ("returnDeclineRequest", "confirmed")]
    assert mutations(shopify, "returnDeclineRequest", outcome=None) == []
    decided = request.events.get(from_state=Request.State.SUBMITTED, to_state=Request.State.REJECTED)
    assert decided.actor_label == "Shopify"
    rejected = [m for m in send_pending_emails() if shopper.email in m.to and "not accepted" in m.subject]
    assert len(rejected) == 1 and "The mug was used" in rejected[0].body


def test_declined_in_shopify_without_a_note_says_why(returns_on, shopper, shopify, shipped):
    request = push(ask(shipped, shopper))
    shopify.decline_return(shopify_return(shopify, shipped)["id"], reason="final_sale")

    return_follow_shopify(request_id=request.pk, client=fast_client())

    request.refresh_from_db()
    assert request.state == Request.State.REJECTED
    assert request.decision_message == "Items sold as final sale cannot be returned."


def test_a_return_still_requested_in_shopify_stays_undecided(returns_on, shopper, shopify, shipped):
    request = push(ask(shipped, shopper))
    events = request.events.count()

    for _ in range(2):
        assert return_follow_shopify(request_id=request.pk, client=fast_client()) == Request.State.SUBMITTED

    assert request.events.count() == events


def test_a_decision_here_that_shopify_contradicts_fails_for_the_merchant(
    returns_on, merchant, shopper, shopify, shipped
):
    request = push(ask(shipped, shopper))
    shopify.decline_return(shopify_return(shopify, shipped)["id"], note="Used")

    request_approve(request=request, moderator=merchant)  # before anything told us
    request = push(request)

    assert request.state == Request.State.FAILED
    assert "declined in Shopify" in request.last_error
    assert mutations(shopify, "returnApproveRequest", outcome=None) == []


def test_a_returns_webhook_has_the_decision_followed(
    returns_on, shopper, shopify, shipped, client, settings, django_capture_on_commit_callbacks
):
    """Shopify's returns/decline body names the return only (no order): the request is found by the id the
    push recorded."""
    from shopify_sync.tests.conftest import webhook_headers

    request = push(ask(shipped, shopper))
    declined = shopify.decline_return(shopify_return(shopify, shipped)["id"], note="Used")
    body = json.dumps(
        {
            "id": declined["id"],
            "admin_graphql_api_id": declined["admin_graphql_api_id"],
            "status": "declined",
            "decline": {"reason": "other", "note": "Used"},
        }
    ).encode()
    headers = webhook_headers(
        topic="returns/decline", body=body, secret=settings.SHOPIFY_CLIENT_SECRET, shop_domain=SHOP_DOMAIN
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
        )

    assert response.status_code == 200
    assert WebhookDelivery.objects.get(topic="returns/decline").is_processed
    request.refresh_from_db()
    assert (request.state, request.decision_message) == (Request.State.REJECTED, "Used")


def test_an_order_change_looks_at_an_undecided_return_and_never_rejects_it_as_shipped(
    returns_on, shopper, shopify, shipped, django_capture_on_commit_callbacks
):
    request = push(ask(shipped, shopper))

    with django_capture_on_commit_callbacks() as callbacks:
        requests_react_to_orders(order_ids=[shipped.pk])

    request.refresh_from_db()
    assert request.state == Request.State.SUBMITTED
    assert queued(callbacks) == [("cancellations.tasks.follow_return", (request.pk,))]


def test_the_sweeper_reads_undecided_returns_every_few_minutes(
    returns_on, shopper, shopify, shipped, settings
):
    settings.CANCELLATIONS_RETURN_CHECK_SECONDS = 300
    request = push(ask(shipped, shopper))
    submitted = request.created_at

    assert requests_sweep(now=submitted + timedelta(minutes=1)).returns_checked == 0  # too young
    assert requests_sweep(now=submitted + timedelta(minutes=6)).returns_checked == 1
    assert requests_sweep(now=submitted + timedelta(minutes=7)).returns_checked == 0  # looked at already
    shopify.approve_return(shopify_return(shopify, shipped)["id"])  # its webhook lost
    assert requests_sweep(now=submitted + timedelta(minutes=12)).returns_checked == 1  # the task runs eagerly

    request = push(request)
    assert request.state == Request.State.COMPLETED, request.last_error
    assert requests_sweep(now=submitted + timedelta(minutes=30)).returns_checked == 0  # decided: never again


def test_the_sweeper_resends_a_return_request_whose_push_was_lost(
    returns_on, shopper, shopify, shipped, settings
):
    settings.CANCELLATIONS_SWEEP_GRACE_SECONDS = 60
    request = ask(shipped, shopper)  # its push, queued on commit, never ran

    result = requests_sweep(now=timezone.now() + timedelta(minutes=2))

    assert result.pushes_queued == 1  # run eagerly here
    assert shopify_return(shopify, shipped)["status"] == "requested"
    assert rows(request) == [("returnRequest", "confirmed")]


def test_the_order_page_shows_the_return_requested_then_declined_with_the_message(
    client, returns_on, merchant, shopper, shopify, shipped
):
    request = push(ask(shipped, shopper))
    client.force_login(shopper)
    url = reverse("orders:detail", args=[shipped.legacy_id])

    page = client.get(url).content.decode()
    assert "Return requested" in page and "The store reviews your return" in page

    request_reject(request=request, moderator=merchant, message="Worn items cannot be returned")
    page = client.get(url).content.decode()
    assert "Return declined" in page and "Worn items cannot be returned" in page
    assert "The store reviews your return" not in page


def test_a_return_that_cannot_be_pushed_at_all_fails_its_call_once_and_waits(
    returns_on, shopper, shopify, shipped
):
    from shopify_sync.services.shops import shop_mark_uninstalled

    request = ask(shipped, shopper)
    shop_mark_uninstalled(shop=shipped.shop)

    request = push(request)

    assert request.state == Request.State.SUBMITTED
    assert rows(request) == [("returnRequest", "failed")]
    assert "the app is uninstalled from" in request.last_error
    assert request_push(request_id=request.pk, client=fast_client()).state == "skipped"  # not claimed again
    assert shopify.returns(shipped.legacy_id) == []
