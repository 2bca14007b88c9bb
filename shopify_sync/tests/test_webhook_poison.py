"""Signed bodies PostgreSQL's jsonb cannot hold: refused with 400 at the door, and should one reach the
Redis intake anyway, it becomes a dead letter while the rest of its batch is stored."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from shopify_sync.models import WebhookDelivery
from shopify_sync.services.webhooks import WEBHOOK_MAX_ATTEMPTS, webhook_intake_drain
from shopify_sync.tests.factories import rest_order
from shopify_sync.webhooks import intake as intake_buffer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({**rest_order(), "note": "a\u0000b"}).encode(),
        json.dumps({**rest_order(), "total_weight": float("nan")}).encode(),  # NaN: Python writes it
        json.dumps({**rest_order(), "note": "\ud800"}).encode(),  # a lone surrogate, escaped
        json.dumps({**rest_order(), "note_attributes": "NEST"})
        .encode()
        .replace(b'"NEST"', b"[" * 100 + b"]" * 100),
        b"{" + b'"a":{' * 5000 + b"}" * 5001,  # deep enough to exhaust a recursive parser
    ],
    ids=["nul", "nan", "lone-surrogate", "deep", "deeper-than-the-stack"],
)
def test_an_unstorable_signed_body_is_refused_and_nothing_stored(post_webhook, intake, body):
    response = post_webhook("orders/updated", body)

    assert response.status_code == 400
    assert intake.drain() == [] if intake.mode == "redis" else True
    assert not WebhookDelivery.objects.exists()


def _entry(webhook_id: str, body: bytes) -> intake_buffer.IncomingDelivery:
    return intake_buffer.IncomingDelivery(
        webhook_id=webhook_id,
        topic="orders/updated",
        shop_domain="portal-test.myshopify.com",
        api_version="2026-07",
        event_id=webhook_id,
        triggered_at=None,
        received_at=timezone.now(),
        body=body,
    )


def test_a_poisoned_entry_in_the_intake_is_a_dead_letter_and_the_batch_goes_on(redis_intake):
    good = json.dumps(rest_order()).encode()
    intake_buffer.append(_entry("before", good))
    intake_buffer.append(_entry("poisoned", b'{"id": 1, "note": "a\\u0000b"}'))
    intake_buffer.append(_entry("after", json.dumps(rest_order(order_id=2)).encode()))

    stored = webhook_intake_drain(consumer="test", on_stored=lambda ids: None)

    assert stored == 2
    assert intake_buffer.backlog() == 0  # nothing left to block the next drain
    letter = WebhookDelivery.objects.get(webhook_id="poisoned")
    assert letter.payload == {"dead_letter": True}  # the body is not kept
    assert letter.attempts == WEBHOOK_MAX_ATTEMPTS and "dead letter" in letter.error
    assert set(WebhookDelivery.objects.exclude(pk=letter.pk).values_list("webhook_id", flat=True)) == {
        "before",
        "after",
    }


def test_webhook_bodies_never_reach_the_logs(
    post_webhook, intake, caplog, django_capture_on_commit_callbacks
):
    import logging

    secret_email = "never.logged.8812@example.com"
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        post_webhook("orders/updated", {**rest_order(), "email": secret_email, "note": "x\u0000"})  # refused
        post_webhook("orders/updated", {**rest_order(), "email": secret_email})
        intake.drain()
    assert secret_email not in caplog.text.lower()
