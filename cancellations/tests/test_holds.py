"""Fulfilment holds against the devstore: on a new order while a window is open, off when the window
closes, when a request settles or when a merchant says so; only our own hold, never another."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cancellations.errors import RequestNotAllowed
from cancellations.models import FulfilmentHold, Request
from cancellations.services import request_submit
from cancellations.services.holds import HOLD_HANDLE, holds_due, holds_place, holds_release, orders_to_hold
from cancellations.tasks import release_fulfilment_holds, sweep_fulfilment_holds
from cancellations.tests.conftest import fast_client
from cancellations.tests.test_push import NEW_ADDRESS, push
from portal.tasks import ping
from shopify_sync.enqueue import SWEEP_BACKLOG_LIMIT, enqueued_mark
from shopify_sync.models import FulfillmentOrder
from shopify_sync.services.fulfillment_orders import fulfillment_orders_read
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.tests.conftest import celery_app_in_use


@pytest.fixture
def holding(policy):
    policy.hold_fulfilment = True
    policy.save()
    return policy


def fulfillment_orders(order):
    found = fast_client().fulfillment_orders(order.shopify_gid)
    assert found is not None
    return found


def test_a_new_order_is_held_until_its_last_window_closes(holding, shopify, store_order):
    order = store_order()
    assert orders_to_hold([order.pk], now=timezone.now()) == [order.pk]

    assert holds_place(order_id=order.pk, client=fast_client()) == 1

    [fo] = fulfillment_orders(order)
    assert fo.status == "ON_HOLD"
    assert [(h.handle, h.ours) for h in fo.holds] == [(HOLD_HANDLE, True)]
    hold = FulfilmentHold.objects.get()
    assert hold.state == FulfilmentHold.State.HELD and hold.hold_gid == fo.holds[0].id
    assert hold.held_until == holding.last_deadline(order)
    assert orders_to_hold([order.pk], now=timezone.now()) == []  # never twice


def test_placing_again_finds_our_hold_instead_of_a_second_one(holding, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    FulfilmentHold.objects.all().delete()  # as if the record were lost after Shopify held it

    assert holds_place(order_id=order.pk, client=fast_client()) == 1
    [fo] = fulfillment_orders(order)
    assert len(fo.holds) == 1


def test_no_hold_when_the_policy_does_not_hold_or_the_windows_are_over(policy, holding, shopify, store_order):
    order = store_order()
    late = timezone.now() + timedelta(hours=2)
    assert holds_place(order_id=order.pk, client=fast_client(), now=late) == 0
    holding.hold_fulfilment = False
    holding.save()
    assert orders_to_hold([order.pk], now=timezone.now()) == []
    assert holds_place(order_id=order.pk, client=fast_client()) == 0
    assert fulfillment_orders(order)[0].holds == ()


def test_the_window_closing_releases_our_hold_and_keeps_the_merchants(holding, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    [fo] = fulfillment_orders(order)
    fast_client().fulfillment_order_hold(
        fulfillment_order_gid=fo.id, handle="warehouse-check", notes="by hand"
    )

    assert holds_due() == []
    later = timezone.now() + timedelta(hours=2)
    assert holds_due(now=later) == [order.pk]
    assert holds_release(order_id=order.pk, because="window closed", client=fast_client(), now=later) == 1

    [fo] = fulfillment_orders(order)
    assert [h.handle for h in fo.holds] == ["warehouse-check"]  # not ours to release
    assert fo.status == "ON_HOLD"
    hold = FulfilmentHold.objects.get()
    assert (hold.state, hold.released_because) == (FulfilmentHold.State.RELEASED, "window closed")


def test_an_open_request_keeps_the_hold_past_the_window(holding, moderated, shopper, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    request_submit(order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind")

    assert holds_due(now=timezone.now() + timedelta(hours=2)) == []


def test_a_settled_request_releases_the_hold(
    holding, shopper, shopify, store_order, django_capture_on_commit_callbacks
):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())

    with django_capture_on_commit_callbacks(execute=True):
        request = push(
            request_submit(order=order, shopper=shopper, kind="address_change", address=NEW_ADDRESS)
        )

    assert request.state == Request.State.COMPLETED
    assert FulfilmentHold.objects.get().state == FulfilmentHold.State.RELEASED
    [fo] = fulfillment_orders(order)
    assert fo.holds == () and fo.status == "OPEN"


def test_a_merchant_released_hold_is_recorded_without_a_call(holding, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    [fo] = fulfillment_orders(order)
    fast_client().fulfillment_order_release_hold(fulfillment_order_gid=fo.id, hold_ids=[fo.holds[0].id])
    calls_before = len(shopify.calls())

    assert holds_release(order_id=order.pk, because="window closed", client=fast_client()) == 0

    assert FulfilmentHold.objects.get().state == FulfilmentHold.State.RELEASED
    assert [
        c for c in shopify.calls()[calls_before:] if c["operation"] == "fulfillmentOrderReleaseHold"
    ] == []


def test_a_cancelled_orders_hold_is_recorded_released_without_a_call(holding, shopper, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    request = push(request_submit(order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind"))
    assert request.state == Request.State.COMPLETED
    # The cancel ended the fulfilment order, and our hold with it.
    [fo] = fulfillment_orders(order)
    assert fo.status in ("CANCELLED", "CLOSED") and fo.holds == ()
    client = fast_client()

    assert holds_release(order_id=order.pk, because=f"request #{request.pk} completed", client=client) == 0

    assert client.requests_sent == 0  # nothing left to release: Shopify is not asked
    hold = FulfilmentHold.objects.get()
    assert hold.state == FulfilmentHold.State.RELEASED and hold.released_because.startswith("request #")


def test_mirroring_a_new_order_queues_its_hold(holding, shopify, shop, django_capture_on_commit_callbacks):
    created = shopify.create_order(
        email="new@example.com", line_items=[{"title": "Mug", "quantity": 1, "price": "9.00"}]
    )
    data = fast_client().order(created["id"])
    assert data is not None

    with django_capture_on_commit_callbacks(execute=True):
        orders_upsert(shop=shop, orders=[data])

    hold = FulfilmentHold.objects.get()
    assert hold.state == FulfilmentHold.State.HELD and hold.order.shopify_gid == created["id"]


def test_a_release_lost_with_the_broker_is_caught_up_by_the_beat(holding, shopper, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    # The request settles while the broker is down: its release task never runs.
    push(request_submit(order=order, shopper=shopper, kind="address_change", address=NEW_ADDRESS))

    assert holds_due(now=timezone.now() + timedelta(seconds=20)) == [order.pk]  # long before the window ends


def test_no_hold_after_the_shopper_has_acted(holding, shopper, shopify, store_order):
    order = store_order()
    push(request_submit(order=order, shopper=shopper, kind="address_change", address=NEW_ADDRESS))

    assert holds_place(order_id=order.pk, client=fast_client()) == 0
    assert fulfillment_orders(order)[0].holds == ()


# -- the fulfilment-order mirror -----------------------------------------------------------------------


def mirrored(order):
    return {fo.shopify_gid: fo for fo in FulfillmentOrder.objects.filter(order=order)}


def test_a_placed_hold_is_mirrored_with_the_fulfilment_order(holding, shopify, store_order):
    order = store_order()

    holds_place(order_id=order.pk, client=fast_client())

    [fo] = fulfillment_orders(order)
    row = mirrored(order)[fo.id]
    assert (row.status, row.source) == (FulfillmentOrder.Status.ON_HOLD, "hold placed")
    assert [(h["id"], h["handle"], h["ours"]) for h in row.holds] == [(fo.holds[0].id, HOLD_HANDLE, True)]
    assert row.location_name.endswith("Warehouse")


def test_a_release_mirrors_what_is_left_on_the_fulfilment_order(holding, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    [fo] = fulfillment_orders(order)
    fast_client().fulfillment_order_hold(
        fulfillment_order_gid=fo.id, handle="warehouse-check", notes="by hand"
    )

    holds_release(order_id=order.pk, because="window closed", client=fast_client())

    row = mirrored(order)[fo.id]
    assert (row.status, row.source) == (FulfillmentOrder.Status.ON_HOLD, "hold released")
    assert [h["handle"] for h in row.holds] == ["warehouse-check"]  # the merchant's, read before the release


def test_a_hold_that_fails_because_the_order_is_in_progress_stops_the_shoppers_changes(
    holding, shopper, shopify, store_order
):
    order = store_order()
    [fo] = fulfillment_orders(order)
    shopify.report_progress(fo.id, notes="packing")

    assert holds_place(order_id=order.pk, client=fast_client()) == 0

    hold = FulfilmentHold.objects.get()
    assert (hold.state, hold.error) == (FulfilmentHold.State.FAILED, "fulfilment order is IN_PROGRESS")
    assert mirrored(order)[fo.id].status == FulfillmentOrder.Status.IN_PROGRESS
    asks: list[dict[str, Any]] = [
        {"kind": "cancel", "reason_code": "changed_my_mind"},
        {"kind": "address_change", "address": NEW_ADDRESS},
    ]
    for ask in asks:
        with pytest.raises(RequestNotAllowed) as refused:
            request_submit(order=order, shopper=shopper, **ask)
        assert refused.value.code == "in_progress"

    # The warehouse takes its report back: the order is unfulfilled again, and the shopper may act.
    shopify.stop_progress(fo.id)
    fulfillment_orders_read(order=order, client=fast_client())
    request = request_submit(order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind")
    assert request.pk is not None


def test_the_holds_list_shows_why_a_hold_failed(holding, shopify, store_order, admin_client):
    order = store_order()
    [fo] = fulfillment_orders(order)
    shopify.accept_fulfillment_request(fo.id)
    holds_place(order_id=order.pk, client=fast_client())

    page = admin_client.get(reverse("admin:cancellations_fulfilmenthold_changelist")).content.decode()

    assert "Not held" in page and "In progress" in page


def _taken(app, queue: str) -> list[str]:
    """The task names waiting in `queue`, in the order a worker would take them (emptying it)."""
    taken = []
    with app.connection_for_read() as connection:
        waiting = connection.SimpleQueue(queue, no_ack=True)
        with contextlib.suppress(waiting.Empty):
            while True:
                taken.append(waiting.get(timeout=0.5).headers["task"])
        waiting.close()
    return taken


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): a real queue to fill")
def test_the_hold_sweep_queues_each_release_once_ahead_of_a_backlog(holding, shopper, shopify, store_order):
    order = store_order()
    holds_place(order_id=order.pk, client=fast_client())
    FulfilmentHold.objects.update(held_until=timezone.now() - timedelta(minutes=1))  # the window closed
    queue = f"hold-sweep-test-{uuid.uuid4().hex}"
    mark = enqueued_mark(release_fulfilment_holds, order.pk, "the self-service window closed")
    cache.delete(mark)  # an earlier run's order of the same id
    with celery_app_in_use(task_default_queue=queue) as app:
        for _ in range(SWEEP_BACKLOG_LIMIT + 1):  # webhooks and e-mails the workers have not reached
            ping.apply_async(retry=False)

        first = sweep_fulfilment_holds()
        again = sweep_fulfilment_holds()  # a minute later, the first copy still waiting

        taken = _taken(app, queue)
        cache.delete(mark)  # the broker restarted empty, and the marks went with it (or the mark expired)
        after_outage = sweep_fulfilment_holds()
        _taken(app, queue)

    assert first["releases_queued"] == 1 and again["releases_queued"] == 0
    assert taken[0] == release_fulfilment_holds.name  # ahead of the backlog
    assert taken.count(release_fulfilment_holds.name) == 1 and len(taken) == SWEEP_BACKLOG_LIMIT + 2
    assert after_outage["releases_queued"] == 1
