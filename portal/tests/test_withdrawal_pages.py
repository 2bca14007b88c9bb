"""The withdrawal button's pages: where it shows, the two steps, what is recorded, no offers on the way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import RetentionOffer, Withdrawal
from shopify_sync.models import Order
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.webhooks.payloads import order_data_from_rest

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_order(shopify, shop, shopper) -> Order:
    created = shopify.create_order(
        email=shopper.email, currency="USD", line_items=[{"title": "Lamp", "quantity": 1, "price": "40.00"}]
    )
    orders_upsert(shop=shop, orders=[order_data_from_rest(shopify.order(created["legacy_id"]))])
    return Order.objects.get(shopify_gid=created["id"])


@pytest.fixture
def withdrawals_on(policy):
    policy.withdrawal_enabled = True
    policy.offer_keep_bonus = True  # offers exist for cancels; the withdrawal must not show them
    policy.save()
    return policy


def test_the_button_shows_only_when_the_store_turns_it_on(client, shopper, policy, live_order):
    client.force_login(shopper)
    detail = reverse("orders:detail", args=[live_order.legacy_id])
    withdraw = reverse("orders:withdraw", args=[live_order.legacy_id])
    assert withdraw not in client.get(detail).content.decode()
    policy.withdrawal_enabled = True
    policy.cancel_window_minutes = 0  # the windows do not hide it
    policy.save()
    page = client.get(detail).content.decode()
    assert withdraw in page and "Withdraw from contract here" in page


def test_two_steps_then_a_record_and_no_offers(client, shopper, withdrawals_on, live_order, mailoutbox):
    client.force_login(shopper)
    url = reverse("orders:withdraw", args=[live_order.legacy_id])
    first = client.get(url)
    assert first.status_code == 200 and shopper.email in first.content.decode()  # prefilled
    step_two = client.post(url, {"name": "Ada Lee", "email": shopper.email})
    html = step_two.content.decode()
    assert step_two.status_code == 200 and "Confirm withdrawal" in html
    assert not Withdrawal.objects.exists()  # nothing until confirmed
    done = client.post(url, {"name": "Ada Lee", "email": shopper.email, "confirm": "1"})
    assert done.status_code == 302
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.via == "account" and withdrawal.request.is_withdrawal
    assert not RetentionOffer.objects.exists()
    assert "acknowledgement is on its way" in client.get(done["Location"]).content.decode()


def test_the_form_says_what_to_fix_in_korean(client, shopper, withdrawals_on, live_order):
    client.force_login(shopper)
    url = reverse("orders:withdraw", args=[live_order.legacy_id])
    response = client.post(url, {"name": "", "email": "nope"}, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 400
    assert "이름을 입력하세요" in response.content.decode()
    assert not Withdrawal.objects.exists()


def test_a_stranger_cannot_withdraw_someone_elses_order(client, stranger, withdrawals_on, live_order):
    client.force_login(stranger)
    url = reverse("orders:withdraw", args=[live_order.legacy_id])
    assert client.post(url, {"name": "M", "email": "m@example.com", "confirm": "1"}).status_code == 404
    assert not Withdrawal.objects.exists()
