"""Webhooks: REST-shaped bodies, Shopify's headers and HMAC, retries with the same id, injected faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal

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


# Every top-level key of the `orders/create` sample payload Shopify documents in its webhooks reference
# (shopify.dev/docs/api/webhooks, topic orders/create, "Sample Payload": the current sample, the one with
# `merchant_business_entity_id`, `current_shipping_price_set`, `returns` and `line_item_groups`), in the
# sample's order.
SHOPIFY_ORDERS_CREATE_SAMPLE_KEYS = (
    "id",
    "admin_graphql_api_id",
    "app_id",
    "browser_ip",
    "buyer_accepts_marketing",
    "cancel_reason",
    "cancelled_at",
    "cart_token",
    "checkout_token",
    "client_details",
    "closed_at",
    "confirmation_number",
    "confirmed",
    "contact_email",
    "created_at",
    "currency",
    "current_shipping_price_set",
    "current_subtotal_price",
    "current_subtotal_price_set",
    "current_total_additional_fees_set",
    "current_total_discounts",
    "current_total_discounts_set",
    "current_total_duties_set",
    "current_total_price",
    "current_total_price_set",
    "current_total_tax",
    "current_total_tax_set",
    "customer_locale",
    "device_id",
    "discount_codes",
    "duties_included",
    "email",
    "estimated_taxes",
    "financial_status",
    "fulfillment_status",
    "landing_site",
    "landing_site_ref",
    "location_id",
    "merchant_business_entity_id",
    "merchant_of_record_app_id",
    "name",
    "note",
    "note_attributes",
    "number",
    "order_number",
    "order_status_url",
    "original_total_additional_fees_set",
    "original_total_duties_set",
    "payment_gateway_names",
    "phone",
    "po_number",
    "presentment_currency",
    "processed_at",
    "reference",
    "referring_site",
    "source_identifier",
    "source_name",
    "source_url",
    "subtotal_price",
    "subtotal_price_set",
    "tags",
    "tax_exempt",
    "tax_lines",
    "taxes_included",
    "test",
    "token",
    "total_cash_rounding_payment_adjustment_set",
    "total_cash_rounding_refund_adjustment_set",
    "total_discounts",
    "total_discounts_set",
    "total_line_items_price",
    "total_line_items_price_set",
    "total_outstanding",
    "total_price",
    "total_price_set",
    "total_shipping_price_set",
    "total_tax",
    "total_tax_set",
    "total_tip_received",
    "total_weight",
    "updated_at",
    "user_id",
    "billing_address",
    "customer",
    "discount_applications",
    "fulfillments",
    "line_items",
    "payment_terms",
    "refunds",
    "shipping_address",
    "shipping_lines",
    "returns",
    "line_item_groups",
)
# The keys of a line item in that sample.
SHOPIFY_SAMPLE_LINE_ITEM_KEYS = (
    "id",
    "admin_graphql_api_id",
    "attributed_staffs",
    "current_quantity",
    "fulfillable_quantity",
    "fulfillment_service",
    "fulfillment_status",
    "gift_card",
    "grams",
    "name",
    "price",
    "price_set",
    "product_exists",
    "product_id",
    "properties",
    "quantity",
    "requires_shipping",
    "sales_line_item_group_id",
    "sku",
    "taxable",
    "title",
    "total_discount",
    "total_discount_set",
    "variant_id",
    "variant_inventory_management",
    "variant_title",
    "vendor",
    "tax_lines",
    "duties",
    "discount_allocations",
)
# The keys of a refund and of its line items and transactions in the REST Refund resource
# (shopify.dev/docs/api/admin-rest/latest/resources/refund, "The Refund resource" and its create response).
SHOPIFY_REFUND_KEYS = (
    "id",
    "admin_graphql_api_id",
    "order_id",
    "created_at",
    "note",
    "user_id",
    "processed_at",
    "duties",
    "total_duties_set",
    "return",
    "restock",
    "additional_fees",
    "total_additional_fees_set",
    "refund_shipping_lines",
    "order_adjustments",
    "refund_line_items",
    "transactions",
)
SHOPIFY_REFUND_LINE_ITEM_KEYS = (
    "id",
    "line_item",
    "line_item_id",
    "quantity",
    "location_id",
    "restock_type",
    "subtotal",
    "total_tax",
    "subtotal_set",
    "total_tax_set",
)
SHOPIFY_TRANSACTION_KEYS = (
    "id",
    "order_id",
    "amount",
    "kind",
    "gateway",
    "status",
    "message",
    "created_at",
    "test",
    "authorization",
    "currency",
    "location_id",
    "user_id",
    "parent_id",
    "device_id",
    "receipt",
    "error_code",
)  # and `source_name`, left out: which channel an app's refund is from is not known here

REFUND = """mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) { refund { id } userErrors { field message } }
}"""


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


def test_an_order_body_has_every_key_of_shopifys_sample(hooked: Devstore, receiver: Receiver) -> None:
    hooked.create_order(**ORDER)
    body = json.loads(wait_for(lambda: receiver.by_topic("orders/create"))[0]["body"])

    assert [key for key in SHOPIFY_ORDERS_CREATE_SAMPLE_KEYS if key not in body] == []
    assert [key for key in SHOPIFY_SAMPLE_LINE_ITEM_KEYS if key not in body["line_items"][0]] == []
    # What the devstore has no model of reads as Shopify shows it for an order without it.
    assert body["discount_codes"] == body["discount_applications"] == body["note_attributes"] == []
    assert body["refunds"] == body["fulfillments"] == body["returns"] == []
    assert body["total_discounts"] == "0" and body["total_discounts_set"]["shop_money"]["amount"] == "0"
    assert body["billing_address"] is None and body["payment_terms"] is None
    assert body["payment_gateway_names"] == ["shopify_payments"]
    assert body["total_line_items_price"] == "30000" and body["total_tax_set"]["shop_money"]["amount"] == "0"
    assert body["current_total_price_set"]["shop_money"] == {"amount": "30000", "currency_code": "KRW"}
    assert body["total_shipping_price_set"]["shop_money"] == {"amount": "0", "currency_code": "KRW"}
    [shipping] = body["shipping_lines"]
    assert shipping["title"] == "Standard Shipping" and shipping["price"] == "0"
    assert shipping["price_set"]["presentment_money"] == {"amount": "0", "currency_code": "KRW"}
    assert body["customer"]["state"] == "disabled" and body["customer"]["currency"] == "KRW"
    assert body["customer"]["created_at"].endswith("+09:00")


def test_a_refund_shows_in_the_order_body_with_its_transactions_and_lines(
    hooked: Devstore, receiver: Receiver
) -> None:
    order = hooked.create_order(
        currency="USD",
        presentment_currency="EUR",
        shipping_price="5.00",
        line_items=[{"title": "Mug", "quantity": 3, "price": "20.00"}],
    )
    line = hooked.order(order["legacy_id"])["line_items"][0]
    hooked.fulfill(order["legacy_id"], [{"id": line["id"], "quantity": 1}])
    sale = hooked.graphql(
        "query($id: ID!) { order(id: $id) { transactions { id kind } } }", {"id": order["id"]}
    )["data"]["order"]["transactions"][0]["id"]
    refund_input = {
        "orderId": order["id"],
        "note": "one mug back",
        "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{line['id']}", "quantity": 1}],
        "transactions": [
            {
                "orderId": order["id"],
                "kind": "REFUND",
                "gateway": "manual",
                "amount": "20.00",
                "parentId": sale,
            }
        ],
    }
    created = hooked.graphql(REFUND, {"input": refund_input, "key": "refund-1"})["data"]["refundCreate"]
    assert created["userErrors"] == []

    def refunded_update() -> dict | None:
        bodies = [json.loads(r["body"]) for r in receiver.by_topic("orders/updated")]
        return next((b for b in bodies if b["refunds"]), None)

    body = wait_for(refunded_update)
    assert body["financial_status"] == "partially_refunded"
    [refund] = body["refunds"]
    assert [key for key in SHOPIFY_REFUND_KEYS if key not in refund] == []
    assert (
        refund["admin_graphql_api_id"] == created["refund"]["id"] and refund["order_id"] == order["legacy_id"]
    )
    assert refund["note"] == "one mug back"
    [refund_line] = refund["refund_line_items"]
    assert [key for key in SHOPIFY_REFUND_LINE_ITEM_KEYS if key not in refund_line] == []
    assert (refund_line["line_item_id"], refund_line["quantity"]) == (line["id"], 1)
    assert refund_line["subtotal"] == 20.0 and refund_line["line_item"]["id"] == line["id"]
    assert refund_line["subtotal_set"]["shop_money"] == {"amount": "20.00", "currency_code": "USD"}
    [transaction] = refund["transactions"]
    assert [key for key in SHOPIFY_TRANSACTION_KEYS if key not in transaction] == []
    assert (transaction["kind"], transaction["status"]) == ("refund", "success")
    # REST transactions are in the currency the shopper paid in, as GraphQL's presentmentMoney says.
    presentment = hooked.graphql(
        """query($id: ID!) { order(id: $id) { refunds { transactions(first: 5) { nodes {
             amountSet { presentmentMoney { amount currencyCode } } } } } } }""",
        {"id": order["id"]},
    )["data"]["order"]["refunds"][0]["transactions"]["nodes"][0]["amountSet"]["presentmentMoney"]
    assert transaction["currency"] == presentment["currencyCode"] == "EUR"
    assert Decimal(transaction["amount"]) == Decimal(presentment["amount"])
    [fulfillment] = body["fulfillments"]
    assert fulfillment["name"] == f"{order['name']}.1" and fulfillment["status"] == "success"
    assert [(fl["id"], fl["quantity"]) for fl in fulfillment["line_items"]] == [(line["id"], 1)]
    assert fulfillment["tracking_numbers"] == [] and fulfillment["tracking_number"] is None
    [shipping] = body["shipping_lines"]
    assert (
        shipping["price"] == "5.00" and shipping["price_set"]["presentment_money"]["currency_code"] == "EUR"
    )
    assert body["total_shipping_price_set"]["shop_money"]["amount"] == "5.00"

    refunds_create = json.loads(wait_for(lambda: receiver.by_topic("refunds/create"))[0]["body"])
    assert refunds_create == refund


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
