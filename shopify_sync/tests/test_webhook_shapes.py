"""A genuine, correctly signed body re-sent under another topic (the topic header is not signed) changes
nothing: it is refused with 400 and nothing is stored; so is a destructive topic triggered long ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopify_sync.models import Customer, Shop, WebhookDelivery
from shopify_sync.tests.conftest import SHOP_DOMAIN
from shopify_sync.tests.factories import CustomerFactory, OrderFactory, ShopFactory, rest_order
from shopify_sync.webhooks.shapes import DESTRUCTIVE_MAX_AGE, payload_mismatch

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
REDACT = {
    "shop_id": 954889,
    "shop_domain": SHOP_DOMAIN,
    "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
    "orders_to_redact": [299938, 280263],
}


@pytest.fixture
def mirrored(db):
    shop = ShopFactory(domain=SHOP_DOMAIN)
    customer = CustomerFactory(shop=shop, email="jon@example.com")
    order = OrderFactory(shop=shop, customer=customer, legacy_id=rest_order()["id"], email="jon@example.com")
    return shop, order


@pytest.mark.parametrize("topic", ["orders/delete", "shop/redact", "customers/redact", "app/uninstalled"])
def test_an_order_body_replayed_under_a_destructive_topic_deletes_nothing(post_webhook, mirrored, topic):
    _shop, order = mirrored
    response = post_webhook(topic, rest_order())

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()
    order.refresh_from_db()
    assert order.deleted_at is None and order.email == "jon@example.com"
    assert Customer.objects.get().email == "jon@example.com"
    assert Shop.objects.get().installed


def test_a_redact_body_replayed_as_an_order_topic_is_refused(post_webhook, mirrored):
    assert post_webhook("orders/updated", REDACT).status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_another_shops_redact_body_is_refused(post_webhook, mirrored):
    other = {**REDACT, "shop_domain": "someone-else.myshopify.com"}
    assert post_webhook("customers/redact", other).status_code == 400
    assert (
        post_webhook("shop/redact", {"shop_id": 1, "shop_domain": "someone-else.myshopify.com"}).status_code
        == 400
    )


def test_a_destructive_delivery_triggered_long_ago_is_refused(post_webhook, mirrored):
    _shop, order = mirrored
    old = (datetime.now(UTC) - DESTRUCTIVE_MAX_AGE - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert post_webhook("orders/delete", {"id": order.legacy_id}, triggered_at=old).status_code == 400
    assert post_webhook("orders/delete", {"id": order.legacy_id}, triggered_at=None).status_code == 400
    assert not WebhookDelivery.objects.exists()
    # The same, fresh, is taken.
    assert post_webhook("orders/delete", {"id": order.legacy_id}).status_code == 200


def test_the_genuine_shapes_pass():
    fresh = NOW - timedelta(minutes=1)
    cases = {
        "orders/create": rest_order(),
        "orders/delete": {"id": 820982911946154508},
        "customers/redact": REDACT,
        "customers/data_request": {**REDACT, "data_request": {"id": 9999}},
        "shop/redact": {"shop_id": 954889, "shop_domain": SHOP_DOMAIN},
        "app/uninstalled": {"id": 548380009, "domain": "shop.example.com", "myshopify_domain": SHOP_DOMAIN},
        "returns/approve": {"id": 945000961, "admin_graphql_api_id": "gid://shopify/Return/945000961"},
        "fulfillment_orders/placed_on_hold": {
            "fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/1", "status": "on_hold"}
        },
        "bulk_operations/finish": {
            "admin_graphql_api_id": "gid://shopify/BulkOperation/1",
            "status": "completed",
        },
        "products/update": {"anything": True},  # not handled: stored as ignored, never acted on
    }
    for topic, body in cases.items():
        assert (
            payload_mismatch(topic=topic, payload=body, shop_domain=SHOP_DOMAIN, triggered_at=fresh, now=NOW)
            is None
        ), topic


def test_an_order_body_whose_ids_disagree_is_refused():
    body = {**rest_order(), "admin_graphql_api_id": "gid://shopify/Order/1"}
    assert payload_mismatch(
        topic="orders/updated", payload=body, shop_domain=SHOP_DOMAIN, triggered_at=NOW, now=NOW
    )
