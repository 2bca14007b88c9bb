"""Fixtures of the mirror's tests: a configured shop and secret, eager Celery, signed webhook posts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from celery import Celery
from django.test import Client
from django.urls import reverse

from portal.celery import app as celery_app

SHOP_DOMAIN = "mirror-test.myshopify.com"
SECRET = "current-webhook-secret"
OLD_SECRET = "previous-webhook-secret"


@pytest.fixture(autouse=True)
def shopify_settings(settings):
    settings.SHOPIFY_SHOP_DOMAIN = SHOP_DOMAIN
    settings.SHOPIFY_API_SECRET = [SECRET, OLD_SECRET]
    settings.MERCHANT_NOTIFY_EMAILS = []
    return settings


@pytest.fixture
def eager_celery():
    """Tasks run in-process when queued (the real worker is exercised in test_worker.py)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield celery_app
    celery_app.conf.task_always_eager = previous


@contextmanager
def celery_app_in_use(**conf: Any) -> Iterator[Celery]:
    """The portal's Celery configuration with `conf` changed, used by shared tasks while inside.

    A separate app rather than edits to the portal's: connection pools are shared per broker URL, so
    reconfiguring (or closing) the portal app's would leak into every later test.
    """
    app = Celery("shopify-sync-tests", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(task_always_eager=False, **conf)
    app.set_current()
    try:
        yield app
    finally:
        celery_app.set_current()
        celery_app.set_default()  # an embedded worker makes its app the process default


def sign(body: bytes, secret: str = SECRET) -> str:
    """Shopify's signature, computed here independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(
    *,
    topic: str,
    body: bytes,
    webhook_id: str | None = None,
    event_id: str | None = None,
    secret: str | None = SECRET,
    shop_domain: str = SHOP_DOMAIN,
    triggered_at: str | None = "now",
) -> dict[str, str]:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()) if event_id is None else event_id,
    }
    if triggered_at == "now":  # as Shopify stamps a delivery: when its event happened, just now
        triggered_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if triggered_at is not None:
        headers["X-Shopify-Triggered-At"] = triggered_at
    if secret is not None:
        headers["X-Shopify-Hmac-Sha256"] = sign(body, secret)
    return headers


PostWebhook = Callable[..., Any]


@pytest.fixture
def post_webhook(client: Client) -> PostWebhook:
    """POST a body to /shopify/webhooks/ the way Shopify does, signed unless told otherwise."""

    def post(topic: str, payload: dict | bytes, **header_options: Any):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = webhook_headers(topic=topic, body=body, **header_options)
        return client.post(
            reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
        )

    return post


def queued(callbacks: list) -> list[tuple[str, tuple]]:
    """The tasks (name, arguments) that captured on-commit callbacks would put on the broker."""
    from functools import partial

    from shopify_sync.enqueue import enqueue

    return [
        (cb.args[0].name, cb.args[1:]) for cb in callbacks if isinstance(cb, partial) and cb.func is enqueue
    ]
