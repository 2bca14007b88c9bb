"""Returns decided in Shopify's admin: the `returns/*` webhooks are kept like the other non-order topics and
tell the domain which return to read again (`signals.return_changed`); the mirror keeps no returns."""

from __future__ import annotations

import pytest

from shopify_sync.models import WebhookDelivery
from shopify_sync.signals import return_changed
from shopify_sync.webhooks.subscriptions import TOPICS
from shopify_sync.webhooks.topics import HANDLED_TOPICS, HEALED_BY_SYNC, RETURN_TOPICS

pytestmark = pytest.mark.django_db

RETURN = "gid://shopify/Return/945000961"
ORDER = "gid://shopify/Order/450789469"

# The bodies as Shopify's samples show them (devstore/returns.py cites the sources): approve names the
# order; decline names the return only.
APPROVED = {
    "id": 945000961,
    "admin_graphql_api_id": RETURN,
    "status": "open",
    "order": {"id": 450789469, "admin_graphql_api_id": ORDER},
    "name": "#1001-R1",
    "total_return_line_items": 1,
    "return_line_items": [],
}
DECLINED = {
    "id": 945000961,
    "admin_graphql_api_id": RETURN,
    "status": "declined",
    "decline": {"reason": "final_sale", "note": None},
}


@pytest.fixture
def changed():
    heard: list[dict] = []

    def listen(sender, **kwargs):
        heard.append({key: kwargs[key] for key in ("topic", "return_gid", "order_gid")})

    return_changed.connect(listen, dispatch_uid="test-return-changed")
    yield heard
    return_changed.disconnect(dispatch_uid="test-return-changed")


def test_the_portal_subscribes_to_returns_decided_in_shopify():
    assert {"RETURNS_APPROVE", "RETURNS_DECLINE", "RETURNS_CANCEL", "RETURNS_CLOSE"} <= set(TOPICS)
    assert RETURN_TOPICS <= HANDLED_TOPICS
    assert not RETURN_TOPICS & HEALED_BY_SYNC  # the sync does not repair them: stored before the 200


@pytest.mark.parametrize(
    ("topic", "body", "order_gid"),
    [
        ("returns/approve", APPROVED, ORDER),
        ("returns/decline", DECLINED, None),
        ("returns/close", {"id": 945000961, "order_id": 450789469, "status": "closed"}, ORDER),
    ],
)
def test_a_returns_webhook_says_which_return_changed(
    post_webhook, eager_celery, django_capture_on_commit_callbacks, intake, changed, topic, body, order_gid
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(topic, body).status_code == 200

    delivery = WebhookDelivery.objects.get(topic=topic)  # in the database at once, whatever the intake
    assert delivery.is_processed, delivery.error
    assert changed == [{"topic": topic, "return_gid": RETURN, "order_gid": order_gid}]


def test_a_returns_body_without_the_returns_id_is_refused(
    post_webhook, eager_celery, django_capture_on_commit_callbacks, changed
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook("returns/decline", {"status": "declined"}).status_code == 400

    assert not WebhookDelivery.objects.exists()
    assert changed == []


def test_a_requests_marker_does_not_match_a_longer_request_number():
    from shopify_sync.returns import OrderReturnables, ReturnState

    theirs = ReturnState("gid://shopify/Return/57", "#1001-R1", "REQUESTED", ("Self-service request #57: x",))
    mine = ReturnState("gid://shopify/Return/5", "#1001-R2", "REQUESTED", ("Self-service request #5",))
    returns = OrderReturnables(lines=(), returns=(theirs, mine))
    assert returns.marked("Self-service request #5") is mine
    assert OrderReturnables(lines=(), returns=(theirs,)).marked("Self-service request #5") is None
