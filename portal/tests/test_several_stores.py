"""Two stores served by one deployment, told apart by the host a shopper comes to: each store's portal
shows its own orders, name and colour, and another store's order does not exist there (404), even for the
same shopper and even when both stores number their orders alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import Request
from cancellations.services.policies import policy_get_or_create
from portal.tests.conftest import SHOP_DOMAIN, VALID_ADDRESS_POST, make_order
from shopify_sync.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

HOST_A, HOST_B = "help.store-a.example", "help.store-b.example"


@pytest.fixture
def stores(settings):
    settings.ALLOWED_HOSTS = [HOST_A, HOST_B, "testserver"]
    a = ShopFactory(domain=SHOP_DOMAIN, name="Store A", portal_host=HOST_A, brand_colour="#aa0000")
    b = ShopFactory(domain="store-b.myshopify.com", name="Store B", portal_host=HOST_B, default_language="ko")
    policy_get_or_create(shop=a)
    policy_get_or_create(shop=b)
    return a, b


@pytest.fixture
def orders(stores, shopper):
    a, b = stores
    # The same shopper in both stores, and the same order number in both (each store counts its own).
    return (
        make_order(a, "ada@example.com", legacy_id=1001, name="#1001"),
        make_order(b, "ada@example.com", legacy_id=1001, name="#1001", minutes_ago=5),
        make_order(b, "ada@example.com", legacy_id=2002, name="#2002"),
    )


def test_each_host_lists_its_own_stores_orders_only(client, shopper, orders):
    client.force_login(shopper)

    on_a = client.get(reverse("orders:list"), HTTP_HOST=HOST_A).content.decode()
    on_b = client.get(reverse("orders:list"), HTTP_HOST=HOST_B).content.decode()

    assert "Store A" in on_a and "Store B" not in on_a and "#2002" not in on_a
    assert "Store B" in on_b and "#2002" in on_b and "Store A" not in on_b
    assert "--brand: #aa0000" in on_a and "--brand" not in on_b


@pytest.mark.parametrize("url_name", ["orders:detail", "orders:cancel", "orders:address"])
def test_another_stores_order_is_404_on_every_url_and_changes_nothing(client, shopper, orders, url_name):
    *_, b_only = orders
    client.force_login(shopper)
    url = reverse(url_name, args=[b_only.legacy_id])
    post = {"orders:cancel": {"reason": "changed_my_mind", "confirm": "on"}}.get(url_name, VALID_ADDRESS_POST)

    assert client.get(url, HTTP_HOST=HOST_A).status_code == 404
    assert client.post(url, post, HTTP_HOST=HOST_A).status_code == 404
    assert not Request.objects.exists()


def test_the_same_order_number_in_two_stores_opens_the_hosts_own(client, shopper, orders):
    _, b_order, _ = orders
    client.force_login(shopper)

    client.post(
        reverse("orders:cancel", args=[1001]),
        {"reason": "changed_my_mind", "confirm": "on"},
        HTTP_HOST=HOST_B,
    )

    [request] = Request.objects.all()
    assert request.order == b_order


def test_a_store_speaks_its_default_language_to_a_browser_that_asks_for_none(client, stores):
    sign_in = reverse("account_request_login_code")

    korean_store = client.get(sign_in, HTTP_HOST=HOST_B, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_store = client.get(sign_in, HTTP_HOST=HOST_A, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    asked_english = client.get(sign_in, HTTP_HOST=HOST_B, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'lang="ko"' in korean_store
    assert 'lang="en"' in english_store and 'lang="en"' in asked_english


def test_an_unknown_host_of_a_one_store_deployment_is_the_configured_store(client, shopper, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    shop = ShopFactory(domain=SHOP_DOMAIN, name="Only Store")
    policy_get_or_create(shop=shop)
    mine = make_order(shop, "ada@example.com")
    client.force_login(shopper)

    assert client.get(reverse("orders:detail", args=[mine.legacy_id])).status_code == 200
