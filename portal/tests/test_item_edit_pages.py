"""The shopper's item edit pages against a devstore: choose, see Shopify's new total, confirm."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import Request
from portal.tests.conftest import make_shopper
from shopify_sync.models import Order
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.webhooks.payloads import order_data_from_rest

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee_order(shopify, shop, shopper) -> Order:
    """Two shirts in M (S, XL in stock; L sold out) and a notebook, paid in dollars."""
    product = shopify.create_product(
        title="Linen shirt",
        options=["Size"],
        variants=[
            {"options": ["S"], "price": "30.00", "inventory_quantity": 5},
            {"options": ["M"], "price": "30.00", "inventory_quantity": 3},
            {"options": ["L"], "price": "30.00", "inventory_quantity": 0},
            {"options": ["XL"], "price": "36.00", "inventory_quantity": 4},
        ],
    )
    variants = {v["title"]: v for v in product["variants"]}
    created = shopify.create_order(
        email=shopper.email,
        currency="USD",
        line_items=[
            {"variant_id": variants["M"]["id"], "quantity": 2},
            {"title": "Hanji notebook", "quantity": 1, "price": "9.00"},
        ],
    )
    orders_upsert(shop=shop, orders=[order_data_from_rest(shopify.order(created["legacy_id"]))])
    order = Order.objects.get(shopify_gid=created["id"])
    order.variants = variants  # type: ignore[attr-defined]
    return order


def url(order: Order) -> str:
    return reverse("orders:items", args=[order.legacy_id])


def test_the_detail_page_offers_to_change_items(client, shopper, tee_order):
    client.force_login(shopper)
    page = client.get(reverse("orders:detail", args=[tee_order.legacy_id])).content.decode()
    assert url(tee_order) in page


def test_the_page_lists_the_lines_with_lower_quantities_and_in_stock_sizes(client, shopper, tee_order):
    client.force_login(shopper)
    response = client.get(url(tee_order))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Linen shirt" in page and "Hanji notebook" in page
    assert 'name="quantity_0"' in page and 'name="swap_0"' in page
    assert ">XL<" in page and ">L<" not in page  # sold out sizes are not offered


def test_preview_shows_shopifys_new_total_then_confirm_makes_the_request(client, shopper, tee_order):
    client.force_login(shopper)
    response = client.post(
        url(tee_order), {"quantity_0": "1", "swap_0": "", "quantity_1": "1", "preview": "1"}
    )

    assert response.status_code == 200, response.content.decode()
    page = response.content.decode()
    assert "Check the new order" in page
    assert "$39.00" in page  # one shirt and the notebook, as Shopify totals it
    assert "We refund $30.00 to your original payment method." in page
    assert not Request.objects.exists()

    response = client.post(url(tee_order), {"confirm": "1"})

    assert response.status_code == 302
    request = Request.objects.get()
    assert request.kind == Request.Kind.ITEM_EDIT
    assert request.line_changes == [
        {
            "line_item_gid": tee_order.line_items.order_by("position")[0].shopify_gid,
            "quantity": 1,
            "swap_to": None,
        }
    ]
    assert (request.edit_preview or {}).get("total") == "39.00"


def test_a_confirm_without_a_preview_changes_nothing(client, shopper, tee_order):
    client.force_login(shopper)
    response = client.post(url(tee_order), {"confirm": "1"})

    assert response.status_code == 302 and response["Location"] == url(tee_order)
    assert not Request.objects.exists()


def test_removing_everything_goes_to_the_cancel_page(client, shopper, tee_order):
    client.force_login(shopper)
    response = client.post(url(tee_order), {"quantity_0": "0", "quantity_1": "0", "preview": "1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:cancel", args=[tee_order.legacy_id])


def test_a_dearer_swap_is_explained_when_the_store_does_not_allow_it(client, shopper, tee_order):
    client.force_login(shopper)
    xl = tee_order.variants["XL"]["admin_graphql_api_id"]
    response = client.post(
        url(tee_order), {"quantity_0": "2", "swap_0": xl, "quantity_1": "1", "preview": "1"}
    )

    assert response.status_code == 400
    assert "would cost more than you paid" in response.content.decode()
    assert not Request.objects.exists()


def test_korean_shoppers_read_the_page_in_korean(client, shopper, tee_order):
    client.force_login(shopper)
    response = client.get(url(tee_order), HTTP_ACCEPT_LANGUAGE="ko")
    assert "새 합계 보기" in response.content.decode()


def test_a_stranger_gets_404_and_shopify_is_never_asked(client, tee_order, shopify):
    stranger = make_shopper("stranger@example.com")
    client.force_login(stranger)
    calls_before = len(shopify.calls())

    assert client.get(url(tee_order)).status_code == 404
    assert client.post(url(tee_order), {"confirm": "1"}).status_code == 404
    assert len(shopify.calls()) == calls_before


def test_shopify_unreachable_is_explained(client, shopper, tee_order, settings):
    settings.SHOPIFY_API_BASE_URL = "http://127.0.0.1:9"
    client.force_login(shopper)
    response = client.get(url(tee_order))

    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
