"""A shopper takes back a request no one has decided yet; decided ones, returns and other people's stay."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import Request
from cancellations.services import request_approve, request_submit
from portal.tests.conftest import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderated(policy):
    policy.auto_approve_cancels = False
    policy.save()
    return policy


def _cancel(order, shopper) -> Request:
    return request_submit(order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind")


def _url(request: Request) -> str:
    return reverse("orders:withdraw_request", args=[request.order.legacy_id, request.pk])


def test_the_shopper_takes_back_an_undecided_cancel(client, shop, shopper, moderated):
    asked = _cancel(make_order(shop, shopper.email), shopper)
    client.force_login(shopper)
    detail = client.get(reverse("orders:detail", args=[asked.order.legacy_id])).content.decode()
    assert _url(asked) in detail and "Take this request back" in detail

    response = client.post(_url(asked))

    asked.refresh_from_db()
    assert response.status_code == 302 and asked.state == Request.State.WITHDRAWN
    page = client.get(response["Location"]).content.decode()
    assert "Withdrawn by you" in page and "Cancel order" in page  # the order may be changed again
    last = asked.events.order_by("pk").last()
    assert last is not None and last.actor_label == "shopper"


def test_a_decided_request_stays(client, shop, shopper, moderated, admin_user):
    asked = _cancel(make_order(shop, shopper.email), shopper)
    request_approve(request=asked, moderator=admin_user)
    client.force_login(shopper)
    client.post(_url(asked))
    asked.refresh_from_db()
    assert asked.state == Request.State.APPROVED


def test_another_shopper_gets_404_and_get_is_not_allowed(client, shop, shopper, stranger, moderated):
    asked = _cancel(make_order(shop, shopper.email), shopper)
    client.force_login(stranger)
    assert client.post(_url(asked)).status_code == 404
    client.force_login(shopper)
    assert client.get(_url(asked)).status_code == 405
    asked.refresh_from_db()
    assert asked.state == Request.State.SUBMITTED
