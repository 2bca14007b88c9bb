from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Request
from portal.tests.conftest import make_order, make_shopper
from shopify_sync.models import Order

pytestmark = pytest.mark.django_db


def test_it_sends_a_signed_out_visitor_to_sign_in(client, order):
    response = client.get(reverse("orders:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))


def test_it_lists_the_shoppers_orders_newest_first_with_store_time_and_won(client, shop, policy, shopper):
    older = make_order(shop, "ada@example.com", minutes_ago=60 * 24 * 3)
    newer = make_order(shop, "ada@example.com", minutes_ago=5)
    client.force_login(shopper)
    response = client.get(reverse("orders:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(newer.name) < html.index(older.name)
    assert "₩45,000" in html and "₩45,000.00" not in html  # KRW has no minor unit
    assert "KST" in html  # the store's time zone (Asia/Seoul)
    assert "Celadon cup 1" in html


def test_it_offers_cancel_and_address_change_with_the_time_left(client, order, shopper):
    client.force_login(shopper)
    html = client.get(reverse("orders:list")).content.decode()
    assert reverse("orders:cancel", args=[order.legacy_id]) in html
    assert reverse("orders:address", args=[order.legacy_id]) in html
    assert "minutes left to change this order" in html
    assert "data-deadline=" in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fulfillment_status": Order.FulfillmentStatus.FULFILLED}, "already shipped"),
        ({"processed_at_minutes_ago": 600}, "window for this change has closed"),
        ({"cancelled_at": True}, "cancelled already"),
    ],
)
def test_it_says_in_plain_words_why_an_order_cannot_be_changed(
    client, shop, policy, shopper, change, message
):
    fields: dict[str, Any] = {}
    minutes_ago = change.pop("processed_at_minutes_ago", 10)
    if change.pop("cancelled_at", False):
        fields["cancelled_at"] = timezone.now() - timedelta(minutes=1)
    fields.update(change)
    order = make_order(shop, "ada@example.com", minutes_ago=minutes_ago, **fields)
    client.force_login(shopper)
    html = client.get(reverse("orders:list")).content.decode()
    assert message in html
    assert reverse("orders:cancel", args=[order.legacy_id]) not in html
    cancel_page = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()
    assert message in cancel_page
    assert 'name="confirm"' not in cancel_page


def test_it_says_a_request_is_already_open(client, order, shopper):
    client.force_login(shopper)
    _cancel(client, order)
    html = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()
    assert "already open" in html


def test_an_unverified_address_grants_nothing(client, shop, policy):
    make_order(shop, "eve@example.com")
    eve = make_shopper("eve@example.com", verified=False)
    client.force_login(eve)
    html = client.get(reverse("orders:list")).content.decode()
    assert "We found no orders" in html


def test_the_customers_email_also_grants_the_order(client, shop, policy, shopper):
    order = make_order(shop, "gift-sender@example.net")
    assert order.customer is not None
    order.customer.email = "ada@example.com"
    order.customer.save()
    client.force_login(shopper)
    assert client.get(reverse("orders:detail", args=[order.legacy_id])).status_code == 200


def test_the_order_list_is_paginated(client, shop, policy, shopper):
    for minutes in range(12):
        make_order(shop, "ada@example.com", minutes_ago=minutes + 1, items=1)
    client.force_login(shopper)
    first = client.get(reverse("orders:list")).content.decode()
    second = client.get(reverse("orders:list") + "?page=2").content.decode()
    assert first.count('class="card order-card"') == 10
    assert second.count('class="card order-card"') == 2


def _cancel(client, order, **data):
    payload = {"reason": "changed_my_mind", "comment": "", "confirm": "on"}
    payload.update(data)
    return client.post(reverse("orders:cancel", args=[order.legacy_id]), payload)


def test_a_shopper_cancels_an_order_and_sees_it_on_the_timeline(client, order, shopper):
    client.force_login(shopper)
    page = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()
    assert "Changed my mind" in page or "changed_my_mind" in page
    assert "cannot be restored" in page
    assert "original payment" in page
    response = _cancel(client, order, comment="bought it twice")
    assert response.status_code == 302
    request = Request.objects.get(order=order)
    assert request.kind == Request.Kind.CANCEL and request.reason_text == "bought it twice"
    detail = client.get(response["Location"]).content.decode()
    assert "We received your request to cancel" in detail
    assert "Request received" in detail


def test_cancelling_needs_the_confirmation_and_text_for_other(client, order, shopper):
    client.force_login(shopper)
    response = _cancel(client, order, confirm="")
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    response = _cancel(client, order, reason="other", comment="")
    assert response.status_code == 400
    assert "Tell us in a few words" in response.content.decode()
    assert not Request.objects.exists()


def test_wrong_address_offers_the_address_change(client, order, shopper):
    client.force_login(shopper)
    html = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()
    assert "Change the address instead" in html


def _address(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lee",
        "company": "",
        "address1": "1 Teheran-ro",
        "address2": "Unit 1201",
        "city": "Seoul",
        "country": "KR",
        "province": "KR:KR-11",
        "zip": "06236",
        "phone": "010-1234-5678",
    }
    data.update(overrides)
    return data


def test_the_address_form_is_prefilled_with_the_current_address(client, order, shopper):
    client.force_login(shopper)
    html = client.get(reverse("orders:address", args=[order.legacy_id])).content.decode()
    assert 'value="12 Sejong-daero"' in html
    assert 'value="KR:KR-11" selected' in html


def test_a_shopper_reviews_then_changes_the_address(client, order, shopper):
    client.force_login(shopper)
    url = reverse("orders:address", args=[order.legacy_id])
    review = client.post(url, _address())
    html = review.content.decode()
    assert review.status_code == 200
    assert "12 Sejong-daero" in html and "1 Teheran-ro" in html  # old versus new
    assert not Request.objects.exists()
    done = client.post(url, {**_address(), "confirm": "1"})
    assert done.status_code == 302
    requested = Request.objects.get(order=order).requested_address
    assert requested is not None
    assert requested["address1"] == "1 Teheran-ro"
    assert requested["province_code"] == "KR-11"
    assert requested["phone"] == "+821012345678"
    assert requested["zip"] == "06236"


def test_the_current_address_sent_again_is_refused_before_the_review(client, order, shopper):
    client.force_login(shopper)
    # The order's address (see conftest) with the phone number written nationally and a name in capitals.
    same = _address(
        first_name="ADA",
        last_name="Lee",
        address1="12 Sejong-daero",
        address2="",
        zip="03187",
        phone="02-1234-5678",
    )

    response = client.post(reverse("orders:address", args=[order.legacy_id]), same)

    assert response.status_code == 400
    assert "The new address is the same as the current one." in response.content.decode()
    assert "review" not in response.context
    assert not Request.objects.exists()


def test_the_review_marks_only_what_changed(client, order, shopper):
    client.force_login(shopper)

    response = client.post(
        reverse("orders:address", args=[order.legacy_id]),
        _address(address1="1 Teheran-ro", address2="", zip="03187", phone="02-1234-5678"),
    )

    changed = [str(row["label"]) for row in response.context["review"] if row["changed"]]
    assert changed == ["Address"]
    # what did not change keeps the store's spelling (its phone format, its province name)
    assert response.context["new_address"].phone == "+82212345678"
    assert response.context["new_address"].province == "Seoul"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"zip": "1234"}, "zip", "postal code"),
        ({"phone": "12"}, "phone", "phone number"),
        ({"province": "US:CA"}, "province", "in the country you chose"),
        ({"address1": ""}, "address1", "required"),
        ({"country": "JP", "province": "JP:JP-13", "zip": "100-0001"}, "country", "another country"),
    ],
)
def test_the_address_form_explains_its_errors(client, order, shopper, overrides, field, message):
    client.force_login(shopper)
    response = client.post(reverse("orders:address", args=[order.legacy_id]), _address(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Request.objects.exists()


def test_a_country_change_is_accepted_when_the_policy_allows_it(client, order, shopper, policy):
    policy.allow_country_change = True
    policy.save()
    client.force_login(shopper)
    data = {
        **_address(country="JP", province="JP:JP-13", zip="1000001", phone="03-1234-5678"),
        "confirm": "1",
    }
    response = client.post(reverse("orders:address", args=[order.legacy_id]), data)
    assert response.status_code == 302
    requested = Request.objects.get().requested_address
    assert requested is not None and requested["zip"] == "1000001"


def test_errors_are_explained_in_korean(client, order, shopper):
    client.force_login(shopper)
    client.cookies["django_language"] = "ko"
    response = client.post(reverse("orders:address", args=[order.legacy_id]), _address(zip="1"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'lang="ko"' in html
    assert "우편번호" in html


def test_the_detail_page_shows_a_rejection_with_the_merchants_message(client, order, shopper):
    from cancellations.models import RequestEvent

    request = Request.objects.create(
        order=order,
        kind=Request.Kind.CANCEL,
        state=Request.State.REJECTED,
        shopper=shopper,
        reason_code="changed_my_mind",
        decision_message="Your parcel is already with the courier.",
    )
    now = timezone.now()
    RequestEvent.objects.create(
        request=request, actor_label="shopper", from_state="", to_state="submitted", at=now
    )
    RequestEvent.objects.create(
        request=request, actor_label="merchant:kim", from_state="submitted", to_state="rejected", at=now
    )
    client.force_login(shopper)
    html = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()
    assert "Declined by the store" in html
    assert "Your parcel is already with the courier." in html


def test_the_detail_page_says_what_to_do_after_a_failure(client, order, shopper):
    from cancellations.models import RequestEvent

    request = Request.objects.create(
        order=order,
        kind=Request.Kind.CANCEL,
        state=Request.State.FAILED,
        shopper=shopper,
        failure_code=Request.Failure.SHIPPED,
    )
    RequestEvent.objects.create(
        request=request, actor_label="system", from_state="pushing", to_state="failed", at=timezone.now()
    )
    client.force_login(shopper)
    html = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()
    assert "Could not be completed" in html
    assert "Contact the store for a return" in html


def test_user_data_is_escaped(client, shop, policy, shopper):
    order = make_order(shop, "ada@example.com", name="<script>alert(1)</script>")
    client.force_login(shopper)
    html = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_the_reason_that_needs_words_says_so_on_the_form(client, shop, shopper, policy):
    order = make_order(shop, shopper.email)
    client.force_login(shopper)
    html = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()
    needing = [reason for reason in policy.reasons.filter(active=True) if reason.requires_text]
    assert needing, "the default reasons include one that needs words"
    assert f"{needing[0].label('en')} (tell us a few words below)" in html
