"""Migration 0006 moves requests pushed before the outbox onto it without losing what a push knew."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cancellations.models import ShopifyMutation

BEFORE = [("cancellations", "0004_moderators_group")]
AFTER = [("cancellations", "0007_remove_request_push_columns")]


def _migrate(targets):
    # Inside the test's transaction, PostgreSQL refuses ALTER TABLE while foreign key checks are pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(db, owned_order):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite cannot alter its schema inside the test's transaction (CI runs PostgreSQL)")
    orders = [owned_order() for _ in range(3)]
    apps = _migrate(BEFORE)
    yield apps, orders
    _migrate(AFTER)


def test_requests_pushed_before_the_outbox_keep_what_the_push_knew(old_schema):
    apps, (completed_order, refunding_order, address_order) = old_schema
    Request = apps.get_model("cancellations", "Request")
    now = timezone.now()
    common = {"state": "pushing", "shopper_email": "ada@example.com", "reason_code": "changed_my_mind"}
    completed = Request.objects.create(
        order_id=completed_order.pk,
        kind="cancel",
        **{**common, "state": "completed"},
        refund="full",
        push_intent_at=now,
        shopify_call_started_at=now,
        shopify_call_answered_at=now,
        shopify_job_id="gid://shopify/Job/1",
        shopify_confirmed_at=now,
        completed_at=now,
    )
    # Cancelled, then the partial refund went out and its answer was lost.
    refunding = Request.objects.create(
        order_id=refunding_order.pk,
        kind="cancel",
        **common,
        refund="partial",
        refund_amount="4.00",
        push_intent_at=now - timedelta(minutes=1),
        shopify_call_started_at=now - timedelta(minutes=1),
        shopify_call_answered_at=now - timedelta(minutes=1),
        shopify_job_id="gid://shopify/Job/2",
        shopify_confirmed_at=now - timedelta(seconds=30),
        refund_intent_at=now,
    )
    # An address change whose call's answer was lost.
    address = Request.objects.create(
        order_id=address_order.pk,
        kind="address_change",
        **common,
        requested_address={"address1": "1 New St", "city": "Seoul", "country_code": "KR"},
        push_intent_at=now,
        shopify_call_started_at=now,
    )

    _migrate(AFTER)

    [cancel_call] = ShopifyMutation.objects.filter(request_id=completed.pk)
    assert (cancel_call.operation, cancel_call.state, cancel_call.result_id) == (
        "orderCancel",
        "confirmed",
        "gid://shopify/Job/1",
    )
    assert cancel_call.variables["refund"] == "original"
    cancel_call, refund_call = ShopifyMutation.objects.filter(request_id=refunding.pk).order_by("position")
    assert cancel_call.state == "confirmed" and cancel_call.first_sent_at is not None
    assert (refund_call.operation, refund_call.state, refund_call.answer_lost) == (
        "refundCreate",
        "sent",
        True,
    )
    # The key the refund already went out with: a resend meets Shopify's record of it.
    assert refund_call.idempotency_key == f"portal-request-{refunding.pk}-refund"
    assert Decimal(refund_call.variables["amount"]) == Decimal("4.00")
    [update_call] = ShopifyMutation.objects.filter(request_id=address.pk)
    assert (update_call.operation, update_call.state, update_call.answer_lost) == (
        "orderUpdate",
        "sent",
        True,
    )
    assert update_call.variables["address"]["address1"] == "1 New St"
