"""Another shopper's order does not exist for you: 404 on every order URL, whatever the method."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import Request
from portal.tests.conftest import VALID_ADDRESS_POST, make_order

pytestmark = pytest.mark.django_db

ORDER_URLS = [
    "orders:detail",
    "orders:cancel",
    "orders:address",
    "orders:items",
    "orders:return",
    "orders:withdraw",
]
METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"]
VALID_POSTS = {
    "orders:cancel": {"reason": "changed_my_mind", "confirm": "on"},
    "orders:address": VALID_ADDRESS_POST,
}


@pytest.mark.parametrize("url_name", ORDER_URLS)
@pytest.mark.parametrize("method", METHODS)
def test_a_stranger_gets_404_on_every_order_url_and_method(client, order, stranger, url_name, method):
    client.force_login(stranger)
    response = getattr(client, method)(
        reverse(url_name, args=[order.legacy_id]), VALID_POSTS.get(url_name, {})
    )
    assert response.status_code == 404
    assert order.name not in response.content.decode()
    assert not Request.objects.exists()


@pytest.mark.parametrize("url_name", ORDER_URLS)
@pytest.mark.parametrize("method", METHODS)
def test_an_unverified_address_is_a_stranger_too(client, shop, policy, url_name, method):
    from portal.tests.conftest import make_shopper

    order = make_order(shop, "eve@example.com")
    eve = make_shopper("eve@example.com", verified=False)
    client.force_login(eve)
    response = getattr(client, method)(
        reverse(url_name, args=[order.legacy_id]), VALID_POSTS.get(url_name, {})
    )
    assert response.status_code == 404
    assert not Request.objects.exists()


@pytest.mark.parametrize("url_name", ORDER_URLS)
def test_an_unknown_order_is_404(client, shopper, policy, url_name):
    client.force_login(shopper)
    assert client.get(reverse(url_name, args=[999_999_999])).status_code == 404


@pytest.mark.parametrize("url_name", ORDER_URLS)
def test_the_owner_gets_405_for_a_method_the_page_does_not_take(client, order, shopper, url_name):
    client.force_login(shopper)
    assert client.delete(reverse(url_name, args=[order.legacy_id])).status_code == 405


def test_the_order_list_shows_only_the_shoppers_orders(client, order, stranger, shop):
    theirs = make_order(shop, "mallory@example.com")
    client.force_login(stranger)
    html = client.get(reverse("orders:list")).content.decode()
    assert theirs.name in html
    assert f'href="{reverse("orders:detail", args=[order.legacy_id])}"' not in html


def test_every_post_needs_a_csrf_token(order, shopper):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    response = client.post(reverse("orders:cancel", args=[order.legacy_id]), VALID_POSTS["orders:cancel"])
    assert response.status_code == 403
    assert not Request.objects.exists()
