"""POST /shopify/webhooks/: who is let in, what is stored, what is queued."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.tasks import drain_webhook_intake, process_webhook_delivery
from shopify_sync.tests.conftest import (
    OLD_SECRET,
    SHOP_DOMAIN,
    celery_app_in_use,
    queued,
    sign,
    webhook_headers,
)
from shopify_sync.tests.factories import rest_order
from shopify_sync.webhooks.views import MAX_BODY_BYTES, shopify_webhook

pytestmark = pytest.mark.django_db


def test_a_signed_delivery_is_stored_and_queued_after_commit(
    post_webhook, intake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_webhook(
            "orders/create", rest_order(), webhook_id="delivery-1", triggered_at="2026-07-01T09:00:00.000000Z"
        )

    assert response.status_code == 200
    if intake.mode == "redis":  # buffered; the one callback schedules the drain that stores it
        assert not WebhookDelivery.objects.exists()
        assert intake.buffered() == 1
        assert queued(callbacks) == [(drain_webhook_intake.name, ())]
        new_ids = intake.drain()
        assert intake.buffered() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook_id, delivery.topic, delivery.shop_domain) == (
        "delivery-1",
        "orders/create",
        SHOP_DOMAIN,
    )
    assert delivery.api_version == "2026-07"
    assert delivery.triggered_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert delivery.payload["id"] == rest_order()["id"]
    assert delivery.processed_at is None
    if intake.mode == "redis":
        assert new_ids == [delivery.pk]  # the drain queues its processing
    else:
        assert queued(callbacks) == [(process_webhook_delivery.name, (delivery.pk,))]
    assert not Order.objects.exists()  # processing happens in the task, not in the request


def test_a_delivery_signed_with_the_previous_secret_is_accepted_during_rotation(post_webhook, intake):
    response = post_webhook("orders/create", rest_order(), secret=OLD_SECRET)
    intake.drain()

    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 1


def test_the_apps_client_secret_signs_webhooks_beside_the_older_setting(post_webhook, settings):
    settings.SHOPIFY_CLIENT_SECRET = "dev-dashboard-client-secret"

    by_client_secret = post_webhook("orders/create", rest_order(), secret="dev-dashboard-client-secret")
    by_older_setting = post_webhook("orders/create", rest_order(), secret=OLD_SECRET)
    settings.SHOPIFY_API_SECRET = []
    by_client_secret_alone = post_webhook("orders/create", rest_order(), secret="dev-dashboard-client-secret")
    by_dropped_secret = post_webhook("orders/create", rest_order(), secret=OLD_SECRET)

    assert [r.status_code for r in (by_client_secret, by_older_setting, by_client_secret_alone)] == [200] * 3
    assert by_dropped_secret.status_code == 401
    assert WebhookDelivery.objects.count() == 3


@pytest.mark.parametrize("secret", [None, "forged-secret"], ids=["unsigned", "forged"])
def test_an_unsigned_or_forged_delivery_is_refused_and_nothing_is_stored(post_webhook, secret, intake):
    response = post_webhook("orders/create", rest_order(), secret=secret)

    assert response.status_code == 401
    assert intake.buffered() == 0
    assert not WebhookDelivery.objects.exists()


def test_a_signature_of_another_body_is_refused(client):
    body = json.dumps(rest_order()).encode()
    headers = webhook_headers(topic="orders/create", body=body)
    tampered = body.replace(b"25.00", b"0.01")

    response = client.post(
        reverse("shopify_sync:webhooks"), data=tampered, content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_signature_that_is_not_base64_is_refused(client):
    body = b"{}"
    headers = {**webhook_headers(topic="orders/create", body=body), "X-Shopify-Hmac-Sha256": "not base64!!"}

    response = client.post(
        reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 401


def test_no_secret_configured_refuses_everything(post_webhook, settings):
    settings.SHOPIFY_API_SECRET = []

    assert post_webhook("orders/create", rest_order()).status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_signed_delivery_for_another_shop_is_refused(post_webhook):
    response = post_webhook("orders/create", rest_order(), shop_domain="someone-else.myshopify.com")

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_body_over_one_megabyte_is_refused_before_it_is_read(post_webhook):
    body = json.dumps({"padding": "x" * MAX_BODY_BYTES}).encode()

    response = post_webhook("orders/create", body)

    assert response.status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_a_streamed_body_over_the_limit_is_refused_without_a_content_length(rf):
    """A server passing a chunked body on (no Content-Length) cannot make the view read past the limit."""
    body = b"x" * (MAX_BODY_BYTES + 10)
    request = rf.post(reverse("shopify_sync:webhooks"), data=body, content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    request._stream = io.BytesIO(body)

    assert shopify_webhook(request).status_code == 413
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b"[1, 2]"], ids=["broken", "not-utf8", "not-object"]
)
def test_a_signed_body_that_is_not_a_json_object_is_refused(post_webhook, body):
    response = post_webhook("orders/create", body)

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_without_a_webhook_id_is_refused(client):
    body = b"{}"
    headers = webhook_headers(topic="orders/create", body=body)
    del headers["X-Shopify-Webhook-Id"]

    response = client.post(
        reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_get_is_not_allowed(client):
    assert client.get(reverse("shopify_sync:webhooks")).status_code == 405


def test_a_repeated_delivery_is_answered_but_stored_and_queued_once(
    post_webhook, intake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = post_webhook("orders/updated", rest_order(), webhook_id="same-delivery")
        again = post_webhook("orders/updated", rest_order(), webhook_id="same-delivery")
    new_ids = intake.drain()

    assert (first.status_code, again.status_code) == (200, 200)
    assert WebhookDelivery.objects.count() == 1
    assert len(callbacks) == 1  # one processing task, or (Redis) one drain
    if intake.mode == "redis":
        assert new_ids == [WebhookDelivery.objects.get().pk]  # the drain queues it once
        # Shopify sending it a third time, after the drain: buffered, but the drain stores nothing new
        assert post_webhook("orders/updated", rest_order(), webhook_id="same-delivery").status_code == 200
        assert intake.drain() == []
        assert WebhookDelivery.objects.count() == 1


def test_an_unknown_topic_is_stored_as_ignored_and_not_queued(
    post_webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_webhook("products/update", {"id": 1})

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.is_processed
    assert callbacks == []


def test_the_signature_is_checked_over_the_exact_raw_bytes(client):
    """Whitespace and key order are Shopify's: re-serialising the JSON would break the signature."""
    body = b'{ "id" : 1,\n  "updated_at": "2026-07-01T18:00:00+09:00" }'
    headers = webhook_headers(topic="products/update", body=body)
    assert headers["X-Shopify-Hmac-Sha256"] == sign(body)

    response = client.post(
        reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 200


@pytest.fixture
def broker_down():
    """Shared tasks publish to a Redis port where nothing listens: publishing fails for real."""
    with celery_app_in_use(broker_url="redis://127.0.0.1:9/0"):
        yield


def test_with_the_broker_down_the_delivery_is_stored_and_shopify_gets_200(
    post_webhook, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook("orders/create", rest_order())

    assert response.status_code == 200
    assert WebhookDelivery.objects.get().processed_at is None  # left for the retry sweep


def test_the_endpoint_skips_the_browser_middleware_but_not_the_host_check(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    body = json.dumps(rest_order()).encode()
    headers = webhook_headers(topic="orders/create", body=body)

    def post(host: str):
        url = reverse("shopify_sync:webhooks")
        return client.post(url, data=body, content_type="application/json", headers=headers, HTTP_HOST=host)

    refused, answered = post("attacker.example"), post("portal.example.com")

    assert refused.status_code == 400
    assert answered.status_code == 200
    assert WebhookDelivery.objects.count() == 1
    # No session, language or CSRF cookie and no Vary: Cookie / Accept-Language from the browser stack.
    assert not answered.cookies
    assert "Vary" not in answered.headers
