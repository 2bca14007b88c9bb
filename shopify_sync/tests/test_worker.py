"""A webhook goes through the endpoint, Redis and a real Celery worker into the mirror."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from shopify_sync.models import Order, WebhookDelivery
from shopify_sync.tests.conftest import celery_app_in_use
from shopify_sync.tests.factories import rest_order

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"),
]


@pytest.fixture
def worker_app():
    """The portal's Celery configuration on a queue of its own, so no other worker on the same Redis
    (a `make run`, another test run) takes the task, with an embedded worker consuming it."""
    queue = f"mirror-test-{uuid.uuid4().hex}"
    with (
        celery_app_in_use(task_default_queue=queue) as app,
        start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=20),
    ):
        yield app


def test_a_webhook_is_processed_by_a_real_worker_through_redis(worker_app, post_webhook, intake):
    """Database intake: view → row → processing task. Redis intake: view → stream → drain task (stores
    the row, queues processing) → processing task. Both on the real worker."""
    processed = threading.Event()

    def on_task_done(sender=None, **kwargs):
        if sender.name == "shopify_sync.tasks.process_webhook_delivery":
            processed.set()

    task_postrun.connect(on_task_done, weak=False)
    try:
        response = post_webhook("orders/create", rest_order())
        assert response.status_code == 200
        assert processed.wait(60), "the worker did not process the delivery"
    finally:
        task_postrun.disconnect(on_task_done)

    delivery = WebhookDelivery.objects.get()
    assert delivery.is_processed, delivery.error
    assert Order.objects.get().email == "jon@example.com"
