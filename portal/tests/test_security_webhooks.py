"""The webhook endpoint against a hostile sender: what `shopify_sync/tests/test_webhook_view.py` does not
already cover. Covered there (and not repeated here): a missing, forged, non-base64 or other-body signature
(401), no secret configured (401), the previous secret during a rotation (200), an unknown shop (401), a
body over 1 MB with or without a Content-Length (413), malformed JSON / not UTF-8 / not an object (400), a
missing webhook id (400), GET (405), a repeated webhook id (stored and queued once) and an unknown topic
(stored as ignored, never queued). Processing the same delivery twice is in `test_webhook_processing.py`.

Here: a secret retired after a rotation, and replays carried through to the worker's processing — the
same delivery after it was processed, and an old signed body re-sent under a new webhook id.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from portal.celery import app as celery_app
from portal.tests.conftest import SHOP_DOMAIN
from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.tests.conftest import sign, webhook_headers
from shopify_sync.tests.factories import T0, rest_order

pytestmark = pytest.mark.django_db

CURRENT = "the-current-secret"
RETIRED = "the-secret-before-the-rotation"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.SHOPIFY_API_SECRET = [CURRENT]
    settings.MERCHANT_NOTIFY_EMAILS = []


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _post(client, topic: str, body: bytes, *, secret: str = CURRENT, webhook_id: str | None = None):
    headers = webhook_headers(
        topic=topic, body=body, secret=secret, webhook_id=webhook_id, shop_domain=SHOP_DOMAIN
    )
    return client.post(
        reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
    )


def test_a_secret_retired_after_the_rotation_is_refused(client):
    body = json.dumps(rest_order()).encode()

    response = _post(client, "orders/create", body, secret=RETIRED)

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert sign(body, CURRENT) != sign(body, RETIRED)


def test_a_delivery_replayed_after_it_was_processed_is_not_processed_again(
    client, eager, intake, django_capture_on_commit_callbacks
):
    body = json.dumps(rest_order(email="first@example.com")).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "orders/create", body, webhook_id="delivery-7").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.processed_at is not None
    Order.objects.update(email="changed-since@example.com")  # anything the replay would overwrite

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        replay = _post(client, "orders/create", body, webhook_id="delivery-7")

    assert replay.status_code == 200
    if intake.mode == "database":
        assert callbacks == []  # nothing queued (with Redis, the drain it schedules finds it stored)
    again = WebhookDelivery.objects.get()
    assert (again.processed_at, again.attempts) == (delivery.processed_at, delivery.attempts)
    assert Order.objects.get().email == "changed-since@example.com"


def test_an_old_signed_body_replayed_under_a_new_id_cannot_roll_the_order_back(
    client, eager, intake, django_capture_on_commit_callbacks
):
    """The signature covers the body, not the webhook id: a captured body can be re-sent as a "new"
    delivery. It is stored, but an older `updated_at` never overwrites a newer one."""
    old = json.dumps(rest_order(updated_at=T0, cancelled_at=None)).encode()
    newer = rest_order(updated_at=T0 + timedelta(minutes=5))
    newer.update(cancelled_at=(T0 + timedelta(minutes=5)).isoformat(), cancel_reason="customer")
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "orders/create", old, webhook_id="original")
        _post(client, "orders/cancelled", json.dumps(newer).encode(), webhook_id="cancelled")
    assert Order.objects.get().cancelled_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "orders/create", old, webhook_id="replayed-under-a-new-id")

    assert response.status_code == 200
    order = Order.objects.get()
    assert order.cancelled_at is not None
    assert order.updated_at_shopify == T0 + timedelta(minutes=5)
