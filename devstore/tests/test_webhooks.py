"""Webhooks: REST-shaped bodies, Shopify's headers and HMAC, retries with the same id, injected faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from devstore.testing import Devstore, wait_for

from .conftest import SECRET, Receiver

ORDER = {
    "email": "hana@example.com",
    "customer": {"first_name": "Hana", "last_name": "Kim"},
    "line_items": [{"title": "Tee", "quantity": 2, "price": "15000", "sku": "TEE-1", "variant_title": "M"}],
    "shipping_address": {
        "first_name": "Hana",
        "last_name": "Kim",
        "address1": "테헤란로 152",
        "city": "강남구",
        "province_code": "KR-11",
        "country_code": "KR",
        "zip": "06236",
        "phone": "+82 10-1234-5678",
    },
    "currency": "KRW",
    "tags": ["vip", "gift"],
}


def independent_hmac(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_order_create_sends_a_signed_rest_shaped_webhook(hooked: Devstore, receiver: Receiver) -> None:
    created = hooked.create_order(**ORDER)
    delivery = wait_for(lambda: receiver.by_topic("orders/create"))[0]
    headers, raw = delivery["headers"], delivery["body"]
    assert headers["content-type"] == "application/json"
    assert headers["x-shopify-hmac-sha256"] == independent_hmac(raw)
    assert headers["x-shopify-shop-domain"] == "devstore.myshopify.com"
    assert headers["x-shopify-api-version"] == "2026-07"
    uuid.UUID(headers["x-shopify-webhook-id"])
    assert headers["x-shopify-event-id"] and headers["x-shopify-triggered-at"].endswith("Z")
    body = json.loads(raw)
    assert body["id"] == created["legacy_id"] and isinstance(body["id"], int)
    assert body["admin_graphql_api_id"] == created["id"]
    assert body["name"] == created["name"] and body["email"] == "hana@example.com"
    assert body["tags"] == "gift, vip"
    assert body["currency"] == body["presentment_currency"] == "KRW"
    assert body["total_price"] == "30000" and body["subtotal_price"] == "30000"
    assert body["total_price_set"]["shop_money"] == {"amount": "30000", "currency_code": "KRW"}
    assert body["financial_status"] == "paid" and body["fulfillment_status"] is None
    assert body["cancelled_at"] is None and body["created_at"].endswith("+09:00")
    line = body["line_items"][0]
    assert {
        k: line[k]
        for k in (
            "title",
            "variant_title",
            "sku",
            "quantity",
            "current_quantity",
            "fulfillable_quantity",
            "price",
        )
    } == {
        "title": "Tee",
        "variant_title": "M",
        "sku": "TEE-1",
        "quantity": 2,
        "current_quantity": 2,
        "fulfillable_quantity": 2,
        "price": "15000",
    }
    assert line["admin_graphql_api_id"] == f"gid://shopify/LineItem/{line['id']}"
    assert (
        body["shipping_address"]["province_code"] == "KR-11"
        and body["shipping_address"]["name"] == "Hana Kim"
    )
    assert body["customer"]["email"] == "hana@example.com"
    assert body["customer"]["admin_graphql_api_id"].startswith("gid://shopify/Customer/")


def test_each_change_sends_the_topics_shopify_sends(hooked: Devstore, receiver: Receiver) -> None:
    order = hooked.create_order(line_items=[{"title": "A", "quantity": 2, "price": "5.00"}])
    wait_for(lambda: receiver.by_topic("orders/create"))
    line = hooked.order(order["legacy_id"])["line_items"][0]["id"]
    hooked.fulfill(order["legacy_id"], [{"id": line, "quantity": 1}])
    wait_for(lambda: receiver.by_topic("orders/partially_fulfilled") and receiver.by_topic("orders/updated"))
    hooked.fulfill(order["legacy_id"])
    fulfilled = wait_for(lambda: receiver.by_topic("orders/fulfilled"))
    assert json.loads(fulfilled[0]["body"])["fulfillment_status"] == "fulfilled"

    other = hooked.create_order()
    doc = """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: true,
      refundMethod: {originalPaymentMethodsRefund: true}) {
        job { id } orderCancelUserErrors { message } } }"""
    assert hooked.graphql(doc, {"id": other["id"]})["data"]["orderCancel"]["orderCancelUserErrors"] == []
    assert not receiver.by_topic("orders/cancelled")  # asynchronous: nothing is sent inside the request
    cancelled = wait_for(lambda: receiver.by_topic("orders/cancelled"))
    body = json.loads(cancelled[0]["body"])
    assert body["id"] == other["legacy_id"] and body["cancelled_at"] and body["cancel_reason"] == "customer"
    assert body["financial_status"] == "refunded"
    wait_for(
        lambda: (
            len(
                [
                    r
                    for r in receiver.by_topic("orders/updated")
                    if json.loads(r["body"])["id"] == other["legacy_id"]
                ]
            )
            == 1
        )
    )


def test_failed_deliveries_are_retried_with_the_same_webhook_id(hooked: Devstore, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    hooked.create_order()
    attempts = wait_for(lambda: len(receiver.requests) >= 3 and receiver.requests)
    ids = {r["headers"]["x-shopify-webhook-id"] for r in attempts}
    assert len(ids) == 1
    assert [r["status"] for r in attempts[:3]] == [500, 503, 200]
    log = wait_for(lambda: len(hooked.webhooks()) >= 3 and hooked.webhooks())
    assert [(e["attempt"], e["status"]) for e in log[:3]] == [(1, 500), (2, 503), (3, 200)]
    assert {e["webhook_id"] for e in log} == ids and {e["topic"] for e in log} == {"orders/create"}


def test_drop_and_duplicate_faults(hooked: Devstore, receiver: Receiver) -> None:
    hooked.fault("drop_webhooks", count=1)
    dropped = hooked.create_order()
    wait_for(lambda: any(e["status"] == "dropped" for e in hooked.webhooks()))
    hooked.fault("duplicate_webhooks", count=1)
    doubled = hooked.create_order()
    pair = wait_for(lambda: len(receiver.requests) >= 2 and receiver.requests)
    bodies = [json.loads(r["body"])["id"] for r in pair]
    assert bodies == [doubled["legacy_id"]] * 2 and dropped["legacy_id"] not in bodies
    assert pair[0]["headers"]["x-shopify-webhook-id"] == pair[1]["headers"]["x-shopify-webhook-id"]


def test_subscribers_get_their_topics_once_per_url(hooked: Devstore, receiver: Receiver) -> None:
    other = Receiver()
    try:
        doc = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
          webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
            webhookSubscription { id topic uri format } userErrors { field message } } }"""
        for url in (other.url, receiver.url):
            got = hooked.graphql(doc, {"topic": "ORDERS_CREATE", "sub": {"uri": url, "format": "JSON"}})
            assert got["data"]["webhookSubscriptionCreate"]["userErrors"] == []
        dup = hooked.graphql(doc, {"topic": "ORDERS_CREATE", "sub": {"uri": other.url}})
        assert dup["data"]["webhookSubscriptionCreate"]["userErrors"][0]["field"] == [
            "webhookSubscription",
            "callbackUrl",
        ]
        listed = hooked.graphql("{ webhookSubscriptions(first: 10) { nodes { topic uri } } }")
        assert len(listed["data"]["webhookSubscriptions"]["nodes"]) == 2
        hooked.create_order()
        wait_for(lambda: other.by_topic("orders/create"))
        wait_for(lambda: receiver.by_topic("orders/create"))
        assert len(receiver.by_topic("orders/create")) == 1  # --webhook-url and a subscription: deduped
    finally:
        other.close()


def test_order_delete_sends_only_the_id(hooked: Devstore, receiver: Receiver) -> None:
    order = hooked.create_order()
    status, _ = hooked._request("DELETE", f"/_devstore/orders/{order['legacy_id']}")
    assert status == 200
    deleted = wait_for(lambda: receiver.by_topic("orders/delete"))
    assert json.loads(deleted[0]["body"]) == {"id": order["legacy_id"]}


def test_duplicate_event_sends_one_event_under_two_webhook_ids(hooked: Devstore, receiver: Receiver) -> None:
    hooked.fault("duplicate_event", count=1)
    created = hooked.create_order()

    pair = wait_for(lambda: len(receiver.requests) >= 2 and receiver.requests)

    assert [json.loads(r["body"])["id"] for r in pair[:2]] == [created["legacy_id"]] * 2
    first, second = (r["headers"] for r in pair[:2])
    assert first["x-shopify-event-id"] == second["x-shopify-event-id"]
    assert first["x-shopify-webhook-id"] != second["x-shopify-webhook-id"]
    assert first["x-shopify-topic"] == second["x-shopify-topic"]
    log = wait_for(lambda: len(hooked.webhooks()) >= 2 and hooked.webhooks())
    assert len({e["webhook_id"] for e in log[:2]}) == 2 and len({e["event_id"] for e in log[:2]}) == 1
