"""The window's edges, on a controlled clock: the deadline itself is inside, a second later is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from cancellations.models import Request
from portal.tests.conftest import VALID_ADDRESS_POST, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(shop, policy, shopper):
    order = make_order(shop, "ada@example.com", minutes_ago=0)
    return (
        order,
        policy.deadline_for(order, Request.Kind.CANCEL),
        policy.deadline_for(order, Request.Kind.ADDRESS_CHANGE),
    )


def _cancel(client, order):
    return client.post(
        reverse("orders:cancel", args=[order.legacy_id]), {"reason": "changed_my_mind", "confirm": "on"}
    )


def _change_address(client, order):
    return client.post(
        reverse("orders:address", args=[order.legacy_id]),
        VALID_ADDRESS_POST,
    )


def test_a_cancel_one_second_before_the_deadline_is_accepted(client, placed, shopper):
    order, deadline, _ = placed
    client.force_login(shopper)
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        response = _cancel(client, order)
    assert response.status_code == 302
    assert Request.objects.filter(order=order, kind=Request.Kind.CANCEL).exists()


def test_a_cancel_one_second_after_the_deadline_is_refused(client, placed, shopper):
    order, deadline, _ = placed
    client.force_login(shopper)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = _cancel(client, order)
    assert response.status_code == 409
    assert "window for this change has closed" in response.content.decode()
    assert not Request.objects.exists()


def test_an_address_change_one_second_before_the_deadline_is_accepted(client, placed, shopper):
    order, _, deadline = placed
    client.force_login(shopper)
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        response = _change_address(client, order)
    assert response.status_code == 302
    assert Request.objects.filter(order=order, kind=Request.Kind.ADDRESS_CHANGE).exists()


def test_an_address_change_one_second_after_the_deadline_is_refused(client, placed, shopper):
    order, _, deadline = placed
    client.force_login(shopper)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = _change_address(client, order)
    assert response.status_code == 409
    assert not Request.objects.exists()


def test_the_countdown_counts_down_to_the_deadline(client, placed, shopper):
    _order, deadline, _ = placed
    client.force_login(shopper)
    with time_machine.travel(deadline - timedelta(minutes=42, seconds=30), tick=False):
        html = client.get(reverse("orders:list")).content.decode()
    assert "42 minutes left to change this order" in html
    assert f'data-deadline="{deadline.isoformat()}"' in html
