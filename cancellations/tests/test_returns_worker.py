"""A shopper's return end to end: the portal's webhook endpoint (a live server), the devstore sending signed
webhooks to it, a real Celery worker on a real Redis. The return is opened in Shopify at submit, then decided
in our console or in Shopify's admin; a decision whose webhook was lost is found by the sweeper.

Only the `RETURNS_*` topics are subscribed (as `subscriptions.TOPICS` names them): nothing but a returns
webhook, or the sweeper, can tell the portal about a decision made in Shopify.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from cancellations.models import Request, ShopifyMutation
from cancellations.services import request_approve, request_reject, requests_sweep
from cancellations.tests import test_returns, test_worker
from cancellations.tests.conftest import SHOP_DOMAIN, mutations
from cancellations.tests.test_returns import ask
from cancellations.tests.test_worker import in_process_worker, state_of, wait_for
from shopify_sync.connection import client_for
from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.webhooks.subscriptions import TOPICS

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(
        "sqlite" in settings.DATABASES["default"]["ENGINE"],
        reason="worker threads and the live server share SQLite's in-memory test database through table "
        "locks that fail under concurrent writes; these run on PostgreSQL (CI)",
    ),
]

WEBHOOK_SECRET = "returns-e2e-webhook-secret"

# The fixtures these tests share with the returns' and the worker's tests.
returns_on = test_returns.returns_on
shipped = test_returns.shipped
redis_server = test_worker.redis_server
broker = test_worker.broker


@pytest.fixture(scope="module")
def devstore(live_server) -> Iterator[Any]:
    """Signs its webhooks as this shop's app; quick webhook retries."""
    from devstore.testing import start_devstore

    store = start_devstore(
        webhook_secret=WEBHOOK_SECRET,
        extra_args=["--shop-domain", SHOP_DOMAIN, "--webhook-retry-base", "0.2"],
    )
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def shopify(devstore, live_server, settings):
    """The devstore as Shopify, subscribed (by the portal's own code) to the returns topics at the live
    server's webhook endpoint."""
    devstore.reset()
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    settings.SHOPIFY_CLIENT_SECRET = WEBHOOK_SECRET  # what checks the webhooks' signatures
    url = f"{live_server.url}/shopify/webhooks/"
    client = client_for()
    for topic in TOPICS:
        if topic.startswith("RETURNS_"):
            client.webhook_subscription_create(topic=topic, uri=url)
    return devstore


@pytest.fixture
def worker(broker, settings) -> Iterator[None]:
    settings.CANCELLATIONS_PUSH_LEASE_SECONDS = 30
    with in_process_worker():
        yield


def opened_in_shopify(request: Request) -> Callable[[], bool]:
    """The return's request call confirmed: Shopify holds the return."""

    def check() -> bool:
        return ShopifyMutation.objects.filter(
            request=request, operation="returnRequest", state=ShopifyMutation.State.CONFIRMED
        ).exists()

    return check


def shopify_status(shopify, order: Order) -> str:
    [found] = shopify.returns(order.legacy_id)
    return found["status"]


def settled(request: Request, state: str) -> Callable[[], bool]:
    """The request is in `state` with nothing left to push."""

    def check() -> bool:
        return (
            state_of(request) == state
            and not ShopifyMutation.objects.filter(
                request=request, state__in=ShopifyMutation.UNSETTLED_STATES
            ).exists()
        )

    return check


def shopper_mail(mailoutbox, shopper, words: str) -> Callable[[], list]:
    return lambda: [m for m in mailoutbox if shopper.email in m.to and words in m.subject]


def test_a_return_is_requested_in_shopify_at_submit_and_approved_in_our_console(
    returns_on, merchant, shopper, shopify, shipped, worker
):
    request = ask(shipped, shopper)  # committed: the push is queued on commit

    wait_for(opened_in_shopify(request), what="the return requested in Shopify")
    assert shopify_status(shopify, shipped) == "requested"
    assert state_of(request) == Request.State.SUBMITTED  # the store has not decided

    request_approve(request=request, moderator=merchant)

    wait_for(settled(request, Request.State.COMPLETED), what="the approval pushed")
    assert shopify_status(shopify, shipped) == "open"
    assert len(mutations(shopify, "returnRequest", outcome=None)) == 1
    assert len(mutations(shopify, "returnApproveRequest", outcome=None)) == 1


def test_a_return_declined_in_our_console_is_declined_in_shopify(
    returns_on, merchant, shopper, shopify, shipped, worker, mailoutbox
):
    request = ask(shipped, shopper)
    wait_for(opened_in_shopify(request), what="the return requested in Shopify")

    request_reject(request=request, moderator=merchant, message="Worn items cannot be returned")

    wait_for(settled(request, Request.State.REJECTED), what="the decline pushed")
    [declined] = shopify.returns(shipped.legacy_id)
    assert declined["status"] == "declined"
    assert declined["decline"] == {"reason": "other", "note": "Worn items cannot be returned"}
    assert len(mutations(shopify, "returnDeclineRequest", outcome=None)) == 1
    [mail] = wait_for(shopper_mail(mailoutbox, shopper, "not accepted"), what="the rejection e-mail")
    assert "Worn items cannot be returned" in mail.body


def test_a_return_approved_in_shopify_is_approved_and_completed_by_its_webhook(
    returns_on, shopper, shopify, shipped, worker, mailoutbox
):
    request = ask(shipped, shopper)
    wait_for(opened_in_shopify(request), what="the return requested in Shopify")

    [opened] = shopify.returns(shipped.legacy_id)
    shopify.approve_return(opened["id"])  # a merchant in Shopify's admin

    wait_for(settled(request, Request.State.COMPLETED), what="the approval followed")
    assert mutations(shopify, "returnApproveRequest", outcome=None) == []  # confirmed by reading
    decided = Request.objects.get(pk=request.pk).events.get(to_state=Request.State.APPROVED)
    assert decided.actor_label == "Shopify"
    assert WebhookDelivery.objects.get(topic="returns/approve").is_processed
    wait_for(shopper_mail(mailoutbox, shopper, "approved"), what="the approval e-mail")


def test_a_return_declined_in_shopify_is_rejected_with_its_note_by_its_webhook(
    returns_on, shopper, shopify, shipped, worker, mailoutbox
):
    request = ask(shipped, shopper)
    wait_for(opened_in_shopify(request), what="the return requested in Shopify")

    [opened] = shopify.returns(shipped.legacy_id)
    shopify.decline_return(opened["id"], note="The mug was used")

    wait_for(settled(request, Request.State.REJECTED), what="the decline followed")
    assert Request.objects.get(pk=request.pk).decision_message == "The mug was used"
    assert mutations(shopify, "returnDeclineRequest", outcome=None) == []
    assert WebhookDelivery.objects.get(topic="returns/decline").is_processed
    [mail] = wait_for(shopper_mail(mailoutbox, shopper, "not accepted"), what="the rejection e-mail")
    assert "The mug was used" in mail.body


def test_a_decision_whose_webhook_was_lost_is_found_by_the_sweeper(
    returns_on, shopper, shopify, shipped, worker, settings
):
    settings.CANCELLATIONS_RETURN_CHECK_SECONDS = 300
    request = ask(shipped, shopper)
    wait_for(opened_in_shopify(request), what="the return requested in Shopify")
    shopify.fault("drop_webhooks", count=1)

    [opened] = shopify.returns(shipped.legacy_id)
    shopify.decline_return(opened["id"], note="Too late")
    wait_for(
        lambda: [
            d for d in shopify.webhooks() if d["topic"] == "returns/decline" and d["status"] == "dropped"
        ],
        what="the returns/decline webhook dropped",
    )
    assert state_of(request) == Request.State.SUBMITTED  # nothing else tells the portal

    # What beat runs every minute, a few minutes after the submit.
    assert requests_sweep(now=timezone.now() + timedelta(minutes=6)).returns_checked == 1

    wait_for(settled(request, Request.State.REJECTED), what="the decline found by the sweeper")
    assert Request.objects.get(pk=request.pk).decision_message == "Too late"
    assert not WebhookDelivery.objects.filter(topic="returns/decline").exists()
