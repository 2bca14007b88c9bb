"""The fulfilment-order mirror: `fulfillment_orders/*` webhooks (Shopify's sample bodies) and live reads,
an older view never overwriting a newer one, and fulfilment orders the mirror has not seen read from
Shopify."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devstore.testing import wait_for
from shopify_sync.client import ShopifyClient
from shopify_sync.models import FulfillmentOrder, Order, WebhookDelivery
from shopify_sync.services.fulfillment_orders import fulfillment_orders_read
from shopify_sync.tests.conftest import SECRET, SHOP_DOMAIN
from shopify_sync.tests.factories import T0, FulfillmentOrderFactory, OrderFactory
from shopify_sync.webhooks import fulfillment_payloads, topics
from shopify_sync.webhooks.subscriptions import TOPICS, subscriptions_ensure

pytestmark = pytest.mark.django_db

FO = "gid://shopify/FulfillmentOrder/7100000000001"


def at(seconds: float) -> str:
    """An X-Shopify-Triggered-At `seconds` after T0."""
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hold(hold_id: int = 1, handle: str = "example-hold-1", *, ours: bool = False) -> dict:
    return {
        "id": f"gid://shopify/FulfillmentHold/{hold_id}",
        "reason": "other",
        "reason_notes": "example",
        "held_by_requesting_app": ours,
        "handle": handle,
        "held_by_app": {"id": "gid://shopify/App/12345"},
    }


def placed_on_hold(gid: str = FO, holds: list[dict] | None = None, remaining: dict | None = None) -> dict:
    """Shaped like Shopify's `fulfillment_orders/placed_on_hold` sample payload."""
    holds = [hold()] if holds is None else holds
    return {
        "fulfillment_order": {"id": gid, "status": "on_hold", "fulfillment_holds": holds},
        "remaining_fulfillment_order": remaining,
        "held_fulfillment_order_line_items": [
            {"id": "gid://shopify/FulfillmentOrderLineItem/3", "quantity": 4}
        ],
        "created_fulfillment_hold": holds[0] if holds else hold(),
    }


def hold_released(gid: str = FO) -> dict:
    return {"fulfillment_order": {"id": gid, "status": "open"}}


def progress_reported(gid: str = FO) -> dict:
    return {
        "fulfillment_order": {"id": gid, "status": "in_progress"},
        "progress_report": {
            "reason_notes": "Items are being prepared for shipment",
            "progress_reported_by_app": {"id": "gid://shopify/App/12345"},
            "progress_reported_by_user": {"id": "gid://shopify/StaffMember/12345"},
        },
        "initial_status": "open",
    }


@pytest.fixture
def deliver(post_webhook, eager_celery, django_capture_on_commit_callbacks):
    def send(topic: str, payload: dict, **options) -> WebhookDelivery:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(topic, payload, **options)
        assert response.status_code == 200
        return WebhookDelivery.objects.get(
            topic=topic, webhook_id=response.wsgi_request.headers["X-Shopify-Webhook-Id"]
        )

    return send


@pytest.fixture
def known():
    """A fulfilment order the mirror read at T0: open, at the warehouse."""
    return FulfillmentOrderFactory(shopify_gid=FO, order=OrderFactory(), source_updated_at=T0)


def test_every_subscribed_topic_has_its_body_keys():
    assert set(fulfillment_payloads.KEYS) == topics.FULFILLMENT_ORDERS_TOPICS
    subscribed = {t.lower().replace("fulfillment_orders_", "fulfillment_orders/", 1) for t in TOPICS}
    assert subscribed >= topics.FULFILLMENT_ORDERS_TOPICS


def test_placed_on_hold_mirrors_the_status_and_every_hold(deliver, known):
    delivery = deliver(
        "fulfillment_orders/placed_on_hold",
        placed_on_hold(holds=[hold(1, "portal", ours=True), hold(2, "warehouse-check")]),
        triggered_at=at(5),
    )

    known.refresh_from_db()
    assert delivery.is_processed and delivery.error == ""
    assert known.status == FulfillmentOrder.Status.ON_HOLD
    assert [(h["id"], h["handle"], h["reason"], h["ours"]) for h in known.holds] == [
        ("gid://shopify/FulfillmentHold/1", "portal", "other", True),
        ("gid://shopify/FulfillmentHold/2", "warehouse-check", "other", False),
    ]
    assert known.source_updated_at == T0 + timedelta(seconds=5)
    assert known.source == "fulfillment_orders/placed_on_hold"
    assert known.location_name == "Demo store Warehouse"  # the body says nothing of it: kept


def test_a_hold_missing_from_the_list_is_taken_from_created_fulfillment_hold(deliver, known):
    body = placed_on_hold(holds=[])
    body["created_fulfillment_hold"] = hold(7, "late")

    deliver("fulfillment_orders/placed_on_hold", body, triggered_at=at(5))

    known.refresh_from_db()
    assert [h["handle"] for h in known.holds] == ["late"]


def test_hold_released_clears_the_holds(deliver, known):
    deliver("fulfillment_orders/placed_on_hold", placed_on_hold(), triggered_at=at(5))
    deliver("fulfillment_orders/hold_released", hold_released(), triggered_at=at(6))

    known.refresh_from_db()
    assert (known.status, known.holds) == (FulfillmentOrder.Status.OPEN, [])


@pytest.mark.parametrize(
    ("late_topic", "late_body"),
    [
        ("fulfillment_orders/placed_on_hold", placed_on_hold()),
        ("fulfillment_orders/hold_released", hold_released()),
        ("fulfillment_orders/progress_reported", progress_reported()),
    ],
)
def test_a_late_older_webhook_does_not_overwrite_the_newer_state(deliver, known, late_topic, late_body):
    # Newer: the warehouse stopped its progress report at +20 s, then put the order on hold at +30 s.
    deliver(
        "fulfillment_orders/manually_reported_progress_stopped",
        {"fulfillment_order": {"id": FO, "status": "open"}},
        triggered_at=at(20),
    )
    deliver(
        "fulfillment_orders/placed_on_hold", placed_on_hold(holds=[hold(9, "newer")]), triggered_at=at(30)
    )

    late = deliver(late_topic, late_body, triggered_at=at(10))

    known.refresh_from_db()
    assert late.is_processed  # stale is not an error
    assert known.status == FulfillmentOrder.Status.ON_HOLD
    assert [h["handle"] for h in known.holds] == ["newer"]
    assert known.source_updated_at == T0 + timedelta(seconds=30)


def test_a_late_older_hold_does_not_undo_progress(deliver, known):
    deliver("fulfillment_orders/progress_reported", progress_reported(), triggered_at=at(30))

    deliver("fulfillment_orders/placed_on_hold", placed_on_hold(), triggered_at=at(10))
    deliver("fulfillment_orders/hold_released", hold_released(), triggered_at=at(11))

    known.refresh_from_db()
    assert (known.status, known.holds) == (FulfillmentOrder.Status.IN_PROGRESS, [])


def test_an_older_webhook_after_a_live_read_changes_nothing(deliver, known):
    FulfillmentOrder.objects.filter(pk=known.pk).update(
        status=FulfillmentOrder.Status.OPEN, source_updated_at=T0 + timedelta(minutes=1), source="read"
    )

    deliver("fulfillment_orders/placed_on_hold", placed_on_hold(), triggered_at=at(59))

    known.refresh_from_db()
    assert (known.status, known.source) == (FulfillmentOrder.Status.OPEN, "read")


def test_accepted_by_a_fulfilment_service_is_in_progress_and_stops_the_shoppers_changes(deliver, known):
    deliver(
        "fulfillment_orders/fulfillment_request_accepted",
        {
            "fulfillment_order": {"id": FO, "status": "in_progress", "request_status": "accepted"},
            "message": "We will ship the item tomorrow.",
        },
        triggered_at=at(5),
    )

    known.refresh_from_db()
    assert (known.status, known.request_status) == (FulfillmentOrder.Status.IN_PROGRESS, "accepted")
    order = Order.objects.prefetch_related("fulfillment_orders").get(pk=known.order_id)
    assert order.fulfillment_in_progress


def test_cancelled_and_its_replacement(deliver, known):
    replacement = "gid://shopify/FulfillmentOrder/7100000000002"
    FulfillmentOrderFactory(order=known.order, shopify_gid=replacement, source_updated_at=T0)

    deliver(
        "fulfillment_orders/cancelled",
        {
            "fulfillment_order": {"id": FO, "status": "cancelled"},
            "replacement_fulfillment_order": {"id": replacement, "status": "open"},
        },
        triggered_at=at(5),
    )

    statuses = dict(FulfillmentOrder.objects.values_list("shopify_gid", "status"))
    assert statuses == {FO: "cancelled", replacement: "open"}


def test_a_body_naming_no_fulfilment_order_is_refused(post_webhook, known):
    response = post_webhook("fulfillment_orders/hold_released", {"fulfillment_order": {"status": "open"}})

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


# -- with the devstore as Shopify ------------------------------------------------------------------------


@pytest.fixture
def store(devstore, settings):
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    return devstore


def client_of(store) -> ShopifyClient:
    return ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07")


def mirrored_order(store, **fields) -> tuple[Order, dict]:
    """An order in the devstore, mirrored (as its orders/create would); with its devstore fulfilment order."""
    from shopify_sync.services.mirror import orders_upsert
    from shopify_sync.services.shops import shop_get_or_create_current

    created = store.create_order(**fields)
    data = client_of(store).order(created["id"])
    assert data is not None
    orders_upsert(shop=shop_get_or_create_current(), orders=[data])
    [fo] = store.fulfillment_orders(created["legacy_id"])
    return Order.objects.get(shopify_gid=created["id"]), fo


def test_a_live_read_records_status_location_and_holds(store):
    order, fo = mirrored_order(store)
    store.report_progress(fo["id"])
    before = timezone.now()

    [state] = fulfillment_orders_read(order=order, client=client_of(store)) or []

    row = FulfillmentOrder.objects.get()
    assert state.status == "IN_PROGRESS"
    assert (row.order, row.status, row.source) == (order, FulfillmentOrder.Status.IN_PROGRESS, "read")
    assert row.location_gid == "gid://shopify/Location/1" and row.location_name.endswith("Warehouse")
    assert row.source_updated_at <= before + timedelta(seconds=1) and row.holds == []


def test_a_webhook_for_a_fulfilment_order_never_seen_reads_its_order_from_shopify(store, deliver):
    order, fo = mirrored_order(store)
    gid = f"gid://shopify/FulfillmentOrder/{fo['id']}"
    store.accept_fulfillment_request(fo["id"])

    deliver(
        "fulfillment_orders/fulfillment_request_accepted",
        {
            "fulfillment_order": {"id": gid, "status": "in_progress", "request_status": "accepted"},
            "message": None,
        },
        triggered_at=at(5),  # long before the read: the read's view stands
    )

    row = FulfillmentOrder.objects.get()
    assert (row.order, row.shopify_gid, row.status) == (order, gid, FulfillmentOrder.Status.IN_PROGRESS)
    assert row.request_status == "accepted" and row.location_name.endswith("Warehouse")


def test_a_webhook_without_a_trigger_time_reads_shopify_instead(store, deliver):
    order, fo = mirrored_order(store)
    fulfillment_orders_read(order=order, client=client_of(store))
    store.report_progress(fo["id"])
    gid = f"gid://shopify/FulfillmentOrder/{fo['id']}"

    # The body says on hold, but without X-Shopify-Triggered-At nothing says how old that is.
    deliver("fulfillment_orders/placed_on_hold", placed_on_hold(gid), triggered_at=None)

    row = FulfillmentOrder.objects.get()
    assert (row.status, row.source) == (FulfillmentOrder.Status.IN_PROGRESS, "read")


def test_a_webhook_for_an_order_not_mirrored_yet_is_retried(store, deliver):
    created = store.create_order()
    [fo] = store.fulfillment_orders(created["legacy_id"])

    delivery = deliver(
        "fulfillment_orders/hold_released",
        hold_released(f"gid://shopify/FulfillmentOrder/{fo['id']}"),
        triggered_at=at(5),
    )

    delivery.refresh_from_db()
    assert not delivery.is_processed and "not in the mirror yet" in delivery.error
    assert delivery.attempts == 1  # the sweep tries again
    assert not FulfillmentOrder.objects.exists()


def test_a_move_reads_the_new_locations_name(store, deliver):
    order, fo = mirrored_order(store)
    fulfillment_orders_read(order=order, client=client_of(store))
    store.move_fulfillment_order(fo["id"], 2)
    moved = f"gid://shopify/FulfillmentOrder/{fo['id']}"

    deliver(
        "fulfillment_orders/moved",
        {
            "original_fulfillment_order": {
                "id": moved,
                "status": "open",
                "assigned_location_id": "gid://shopify/Location/2",
            },
            "moved_fulfillment_order": {
                "id": moved,
                "status": "open",
                "assigned_location_id": "gid://shopify/Location/2",
            },
            "destination_location_id": "gid://shopify/Location/2",
            "fulfillment_order_line_items_requested": [],
            "source_location": {"id": "gid://shopify/Location/1"},
        },
        triggered_at=timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )

    row = FulfillmentOrder.objects.get()
    assert row.location_gid == "gid://shopify/Location/2" and row.location_name.endswith("Fulfilment centre")


def test_a_fulfilment_order_merged_back_goes_from_the_mirror(store):
    order, fo = mirrored_order(store, line_items=[{"title": "Mug", "quantity": 2, "price": "9.00"}])
    client = client_of(store)
    gid = f"gid://shopify/FulfillmentOrder/{fo['id']}"
    line = f"gid://shopify/FulfillmentOrderLineItem/{fo['line_items'][0]['id']}"
    answer = store.graphql(
        """mutation($id: ID!, $hold: FulfillmentOrderHoldInput!) {
          fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) { fulfillmentHold { id } } }""",
        {"id": gid, "hold": {"reason": "OTHER", "fulfillmentOrderLineItems": [{"id": line, "quantity": 1}]}},
    )
    hold_id = answer["data"]["fulfillmentOrderHold"]["fulfillmentHold"]["id"]
    fulfillment_orders_read(order=order, client=client)
    assert FulfillmentOrder.objects.count() == 2  # held, and the rest split off

    client.fulfillment_order_release_hold(fulfillment_order_gid=gid, hold_ids=[hold_id])
    fulfillment_orders_read(order=order, client=client)

    assert list(FulfillmentOrder.objects.values_list("shopify_gid", "status")) == [(gid, "open")]


@pytest.mark.django_db(transaction=True)
def test_the_stores_fulfilment_webhooks_reach_the_mirror(
    devstore_factory, live_server, eager_celery, settings
):
    url = f"{live_server.url}/shopify/webhooks/"
    options = {"webhook_url": url, "webhook_secret": SECRET, "extra_args": ["--shop-domain", SHOP_DOMAIN]}
    with devstore_factory(**options) as shopify:
        settings.SHOPIFY_API_BASE_URL = shopify.base_url
        settings.SHOPIFY_ACCESS_TOKEN = shopify.token
        subscriptions_ensure(client_of(shopify), url)
        created = shopify.create_order(line_items=[{"title": "Mug", "quantity": 1, "price": "9.00"}])
        order = wait_for(lambda: Order.objects.filter(shopify_gid=created["id"]).first())
        [fo] = shopify.fulfillment_orders(created["legacy_id"])

        shopify.report_progress(fo["id"], notes="packing")  # a fulfilment order the mirror never saw
        row = wait_for(lambda: FulfillmentOrder.objects.filter(status="in_progress").first())
        assert row.order_id == order.pk and row.location_name.endswith("Warehouse")

        shopify.stop_progress(fo["id"])
        wait_for(lambda: FulfillmentOrder.objects.filter(pk=row.pk, status="open").exists())
        shopify.move_fulfillment_order(fo["id"], 2)
        wait_for(lambda: FulfillmentOrder.objects.filter(pk=row.pk, location_gid__endswith="/2").exists())
        shopify.cancel(created["legacy_id"])
        wait_for(lambda: FulfillmentOrder.objects.filter(pk=row.pk, status="cancelled").exists())
        # Every delivery answered (orders/create, the four above, orders/cancelled and orders/updated).
        wait_for(lambda: [e["status"] for e in shopify.webhooks()] == [200] * 7)

    row.refresh_from_db()
    assert row.location_name.endswith("Fulfilment centre")
    assert row.source == "fulfillment_orders/cancelled"
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()
