"""The offers step of the cancel page: shown for the right reasons, one click from the cancel, taken into
the page that does it, or declined into the cancel itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cancellations.models import Request, RetentionOffer

pytestmark = pytest.mark.django_db


def cancel_url(order) -> str:
    return reverse("orders:cancel", args=[order.legacy_id])


def post_cancel(client, order, reason: str, **extra: str):
    return client.post(cancel_url(order), {"reason": reason, "comment": "", "confirm": "on", **extra})


def test_a_wrong_address_is_offered_the_address_fix_before_anything_is_cancelled(client, shopper, order):
    client.force_login(shopper)
    response = post_cancel(client, order, "wrong_address")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="take" value="address_fix"' in page
    assert 'name="decline"' in page  # the cancel stays one click away
    assert not Request.objects.exists()
    offer = RetentionOffer.objects.get()
    assert (offer.kind, offer.outcome, offer.order_value) == ("address_fix", "shown", Decimal("45000"))

    response = client.post(cancel_url(order), {"take": "address_fix", "offer": str(offer.pk)})

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:address", args=[order.legacy_id])
    assert RetentionOffer.objects.get().outcome == RetentionOffer.Outcome.TAKEN
    assert not Request.objects.exists()


def test_declining_cancels_with_the_reason_given(client, shopper, order):
    client.force_login(shopper)
    post_cancel(client, order, "wrong_size_or_variant")
    offer = RetentionOffer.objects.get()
    assert offer.kind == "size_swap"

    response = post_cancel(client, order, "wrong_size_or_variant", decline="1", offer=str(offer.pk))

    assert response.status_code == 302
    request = Request.objects.get()
    assert (request.kind, request.reason_code) == ("cancel", "wrong_size_or_variant")
    assert RetentionOffer.objects.get().outcome == RetentionOffer.Outcome.DECLINED


def test_a_reason_without_an_offer_cancels_at_once(client, shopper, order):
    client.force_login(shopper)
    response = post_cancel(client, order, "changed_my_mind")

    assert response.status_code == 302
    assert Request.objects.get().kind == "cancel"
    assert not RetentionOffer.objects.exists()


def test_the_bonus_offer_keeps_the_order_and_says_when_the_credit_comes(client, shopper, order, policy):
    policy.offer_keep_bonus, policy.keep_bonus_amount = True, Decimal("5000")
    policy.save()
    client.force_login(shopper)

    page = post_cancel(client, order, "changed_my_mind", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "₩5,000" in page
    offer = RetentionOffer.objects.get()

    response = client.post(cancel_url(order), {"take": "keep_bonus", "offer": str(offer.pk)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.legacy_id])
    assert "store credit" in response.content.decode()
    assert RetentionOffer.objects.get().outcome == RetentionOffer.Outcome.TAKEN
    assert not Request.objects.exists()  # the credit is issued when the order ships


def test_a_stranger_cannot_take_an_offer(client, order, shopper, stranger):
    client.force_login(shopper)
    post_cancel(client, order, "wrong_address")
    offer = RetentionOffer.objects.get()

    client.force_login(stranger)
    response = client.post(cancel_url(order), {"take": "address_fix", "offer": str(offer.pk)})

    assert response.status_code == 404
    assert RetentionOffer.objects.get().outcome == RetentionOffer.Outcome.SHOWN
