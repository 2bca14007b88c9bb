"""Fulfilment orders moving on (held, released, in progress, moved, cancelled) and the `fulfillment_orders/*`
webhooks that say so: to subscriptions only, in the shape of Shopify's sample payloads, once per change of
status as Shopify's topic descriptions say."""

from __future__ import annotations

import json

import pytest

from devstore.testing import Devstore, DevstoreError, wait_for

from .conftest import Receiver

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { userErrors { message } } }"""
HOLD = """mutation($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) { fulfillmentHold { id } userErrors { message } } }"""
RELEASE = """mutation($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { status } userErrors { message } } }"""
READ = """query($id: ID!) { fulfillmentOrder(id: $id) {
  status requestStatus assignedLocation { name location { id } } } }"""
TOPICS = (
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "FULFILLMENT_ORDERS_CANCELLED",
    "FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_ACCEPTED",
    "FULFILLMENT_ORDERS_PROGRESS_REPORTED",
    "FULFILLMENT_ORDERS_MANUALLY_REPORTED_PROGRESS_STOPPED",
    "FULFILLMENT_ORDERS_MOVED",
)
# The keys of Shopify's sample payloads (shopify.dev/docs/api/webhooks, the fulfillment_orders/* topics).
PLACED_ON_HOLD_KEYS = {
    "fulfillment_order",
    "remaining_fulfillment_order",
    "held_fulfillment_order_line_items",
    "created_fulfillment_hold",
}
HOLD_KEYS = {"id", "reason", "reason_notes", "held_by_requesting_app", "handle", "held_by_app"}
MOVED_KEYS = {
    "original_fulfillment_order",
    "moved_fulfillment_order",
    "destination_location_id",
    "fulfillment_order_line_items_requested",
    "source_location",
}


@pytest.fixture
def subscribed(hooked: Devstore, receiver: Receiver) -> Devstore:
    """`hooked` with the fulfilment-order topics subscribed at the receiver (Shopify sends them to
    subscriptions only)."""
    for topic in TOPICS:
        answer = hooked.graphql(SUBSCRIBE, {"topic": topic, "sub": {"uri": receiver.url}})
        assert answer["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    return hooked


def bodies(receiver: Receiver, topic: str) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.by_topic(topic)]


def new_fulfillment_order(store: Devstore) -> tuple[dict, int, str]:
    order = store.create_order(line_items=[{"title": "Mug", "quantity": 2, "price": "9.00"}])
    [fo] = store.fulfillment_orders(order["legacy_id"])
    return order, fo["id"], f"gid://shopify/FulfillmentOrder/{fo['id']}"


def hold(store: Devstore, fo_gid: str, handle: str) -> str:
    answer = store.graphql(
        HOLD, {"id": fo_gid, "hold": {"reason": "OTHER", "reasonNotes": "n", "handle": handle}}
    )
    assert answer["data"]["fulfillmentOrderHold"]["userErrors"] == []
    return answer["data"]["fulfillmentOrderHold"]["fulfillmentHold"]["id"]


def release(store: Devstore, fo_gid: str, hold_id: str) -> str:
    answer = store.graphql(RELEASE, {"id": fo_gid, "holdIds": [hold_id]})
    return answer["data"]["fulfillmentOrderReleaseHold"]["fulfillmentOrder"]["status"]


def test_placed_on_hold_is_sent_once_when_the_first_hold_goes_on(subscribed: Devstore, receiver: Receiver):
    _, _, fo_gid = new_fulfillment_order(subscribed)

    ours = hold(subscribed, fo_gid, "ours")
    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/placed_on_hold"))
    merchants = hold(subscribed, fo_gid, "merchant")

    assert set(body) == PLACED_ON_HOLD_KEYS
    assert body["fulfillment_order"]["id"] == fo_gid and body["fulfillment_order"]["status"] == "on_hold"
    [listed] = body["fulfillment_order"]["fulfillment_holds"]
    assert set(listed) == HOLD_KEYS and listed == body["created_fulfillment_hold"]
    assert (listed["id"], listed["handle"], listed["reason"]) == (ours, "ours", "other")
    assert body["remaining_fulfillment_order"] is None
    assert [line["quantity"] for line in body["held_fulfillment_order_line_items"]] == [2]
    # The second hold changes no status: nothing is sent; nor when one of two holds comes off.
    assert release(subscribed, fo_gid, ours) == "ON_HOLD"
    assert release(subscribed, fo_gid, merchants) == "OPEN"
    [released] = wait_for(lambda: bodies(receiver, "fulfillment_orders/hold_released"))
    assert released == {"fulfillment_order": {"id": fo_gid, "status": "open"}}
    assert len(bodies(receiver, "fulfillment_orders/placed_on_hold")) == 1


def test_a_partial_hold_names_the_fulfillment_order_split_off(subscribed: Devstore, receiver: Receiver):
    order, fo_id, fo_gid = new_fulfillment_order(subscribed)
    [line] = subscribed.fulfillment_orders(order["legacy_id"])[0]["line_items"]
    held_line = {"id": f"gid://shopify/FulfillmentOrderLineItem/{line['id']}", "quantity": 1}

    answer = subscribed.graphql(
        HOLD, {"id": fo_gid, "hold": {"reason": "OTHER", "fulfillmentOrderLineItems": [held_line]}}
    )

    assert answer["data"]["fulfillmentOrderHold"]["userErrors"] == []
    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/placed_on_hold"))
    remaining = [fo for fo in subscribed.fulfillment_orders(order["legacy_id"]) if fo["id"] != fo_id]
    assert body["remaining_fulfillment_order"] == {
        "id": f"gid://shopify/FulfillmentOrder/{remaining[0]['id']}",
        "status": "open",
    }
    assert body["held_fulfillment_order_line_items"] == [held_line]


def test_progress_reported_then_stopped(subscribed: Devstore, receiver: Receiver):
    _, fo_id, fo_gid = new_fulfillment_order(subscribed)

    subscribed.report_progress(fo_gid, notes="packing")

    [reported] = wait_for(lambda: bodies(receiver, "fulfillment_orders/progress_reported"))
    assert reported["fulfillment_order"] == {"id": fo_gid, "status": "in_progress"}
    assert reported["initial_status"] == "open" and reported["progress_report"]["reason_notes"] == "packing"
    assert subscribed.graphql(READ, {"id": fo_gid})["data"]["fulfillmentOrder"]["status"] == "IN_PROGRESS"
    subscribed.stop_progress(fo_id)
    [stopped] = wait_for(lambda: bodies(receiver, "fulfillment_orders/manually_reported_progress_stopped"))
    assert stopped["fulfillment_order"] == {"id": fo_gid, "status": "open"}
    with pytest.raises(DevstoreError, match="409"):
        subscribed.stop_progress(fo_id)


def test_a_fulfilment_service_accepting_puts_it_in_progress(subscribed: Devstore, receiver: Receiver):
    order, fo_id, fo_gid = new_fulfillment_order(subscribed)

    subscribed.accept_fulfillment_request(fo_id, message="Ships tomorrow")

    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/fulfillment_request_accepted"))
    assert body == {
        "fulfillment_order": {"id": fo_gid, "status": "in_progress", "request_status": "accepted"},
        "message": "Ships tomorrow",
    }
    read = subscribed.graphql(READ, {"id": fo_gid})["data"]["fulfillmentOrder"]
    assert (read["status"], read["requestStatus"]) == ("IN_PROGRESS", "ACCEPTED")
    assert subscribed.fulfillment_orders(order["legacy_id"])[0]["request_status"] == "accepted"


def test_moving_a_fulfillment_order_to_another_location(subscribed: Devstore, receiver: Receiver):
    _, fo_id, fo_gid = new_fulfillment_order(subscribed)
    before = subscribed.graphql(READ, {"id": fo_gid})["data"]["fulfillmentOrder"]["assignedLocation"]

    subscribed.move_fulfillment_order(fo_id, 2)

    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/moved"))
    assert set(body) == MOVED_KEYS
    moved = {"id": fo_gid, "status": "open", "assigned_location_id": "gid://shopify/Location/2"}
    assert body["original_fulfillment_order"] == body["moved_fulfillment_order"] == moved  # nothing shipped
    assert body["source_location"] == {"id": "gid://shopify/Location/1"}
    assert body["destination_location_id"] == "gid://shopify/Location/2"
    after = subscribed.graphql(READ, {"id": fo_gid})["data"]["fulfillmentOrder"]["assignedLocation"]
    assert before["location"]["id"] == "gid://shopify/Location/1" and before["name"].endswith("Warehouse")
    assert after["location"]["id"] == "gid://shopify/Location/2" and after["name"].endswith(
        "Fulfilment centre"
    )


def test_moving_a_partly_shipped_fulfillment_order_closes_it(subscribed: Devstore, receiver: Receiver):
    order, fo_id, fo_gid = new_fulfillment_order(subscribed)
    line = subscribed.order(order["legacy_id"])["line_items"][0]["id"]
    subscribed.fulfill(order["legacy_id"], [{"id": line, "quantity": 1}])

    subscribed.move_fulfillment_order(fo_id, 2)

    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/moved"))
    assert body["original_fulfillment_order"]["status"] == "closed"
    assert body["moved_fulfillment_order"]["id"] != fo_gid
    statuses = {(fo["status"], fo["location_id"]) for fo in subscribed.fulfillment_orders(order["legacy_id"])}
    assert statuses == {("closed", 1), ("open", 2)}


def test_cancelling_the_order_cancels_its_fulfillment_orders(subscribed: Devstore, receiver: Receiver):
    order, _, fo_gid = new_fulfillment_order(subscribed)

    subscribed.cancel(order["legacy_id"])

    [body] = wait_for(lambda: bodies(receiver, "fulfillment_orders/cancelled"))
    assert body == {
        "fulfillment_order": {"id": fo_gid, "status": "cancelled"},
        "replacement_fulfillment_order": None,
    }


def test_these_topics_go_to_subscriptions_only(hooked: Devstore, receiver: Receiver):
    _, fo_id, fo_gid = new_fulfillment_order(hooked)
    hold(hooked, fo_gid, "ours")
    with pytest.raises(DevstoreError, match="409"):  # on hold: no progress to report
        hooked.report_progress(fo_id)

    wait_for(lambda: receiver.by_topic("orders/create"))
    assert [t for t in receiver.topics() if t.startswith("fulfillment_orders/")] == []
