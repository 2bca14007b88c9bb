"""Returns after shipping against the devstore: what may be sent back, the request, and the push that
asks Shopify for the return and approves it, once each."""

from __future__ import annotations

import pytest

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.services import request_approve, request_reject
from cancellations.services.push import HOOKS
from cancellations.services.returns import return_options, return_submit
from cancellations.tests.conftest import fast_client, mutations
from cancellations.tests.test_push import Clock, push
from shopify_sync.models import Order
from shopify_sync.services.mirror import orders_upsert


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
