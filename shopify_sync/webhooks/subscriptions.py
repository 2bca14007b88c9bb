"""The shop's webhook subscriptions: every topic the portal handles, pointing at this deployment.

Shopify deletes a subscription whose deliveries keep failing (the portal down for hours), after which no
webhook of that topic arrives and nothing says so. So subscriptions are made on connect
(`register_webhooks`), checked by `shopify_check`, and re-checked by beat (`webhook_subscriptions_verify`),
which re-creates a missing one and queues a catch-up sync for what it missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from shopify_sync.client import ShopifyClient

# Shopify's WebhookSubscriptionTopic names. The privacy topics (customers/data_request, customers/redact,
# shop/redact) are not subscribed through the API: they are set in the app's configuration in the Dev
# Dashboard, pointing at the same URL. Not `ORDERS_EDITED`: its body describes an edit, not the order, and
# Shopify sends `orders/updated` with the edited order as well.
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "ORDERS_PARTIALLY_FULFILLED",
    "ORDERS_PAID",
    "ORDERS_DELETE",
    "APP_UNINSTALLED",
    "BULK_OPERATIONS_FINISH",
    # The fulfilment-order mirror (`topics.FULFILLMENT_ORDERS_TOPICS`). Not `…_ORDER_ROUTING_COMPLETE` nor
    # `…_SCHEDULED_FULFILLMENT_ORDER_READY`: an open fulfilment order is what the mirror assumes anyway.
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "FULFILLMENT_ORDERS_CANCELLED",
    "FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_ACCEPTED",
    "FULFILLMENT_ORDERS_PROGRESS_REPORTED",
    "FULFILLMENT_ORDERS_MANUALLY_REPORTED_PROGRESS_STOPPED",
    "FULFILLMENT_ORDERS_MOVED",
    # A shopper's return decided in Shopify's admin (`topics.RETURN_TOPICS`). Not `RETURNS_REQUEST`: the
    # portal requests its returns itself and confirms them by reading.
    "RETURNS_APPROVE",
    "RETURNS_DECLINE",
    "RETURNS_CANCEL",
    "RETURNS_CLOSE",
)

_LOCAL_HOSTS = {"*", "localhost", "127.0.0.1", "[::1]", "testserver"}


def endpoint_url() -> str:
    """Where Shopify should send webhooks: `PORTAL_BASE_URL`, else the first public host of ALLOWED_HOSTS;
    "" when neither says."""
    path = reverse("shopify_sync:webhooks")
    if settings.PORTAL_BASE_URL:
        return settings.PORTAL_BASE_URL.rstrip("/") + path
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in _LOCAL_HOSTS]
    return f"https://{hosts[0].lstrip('.')}{path}" if hosts else ""


@dataclass(frozen=True)
class Subscriptions:
    url: str
    present: tuple[str, ...]  # topics subscribed at `url`
    missing: tuple[str, ...]  # topics with no subscription at `url`
    elsewhere: tuple[tuple[str, str], ...]  # (topic, uri) of subscriptions to another address


def subscriptions_read(client: ShopifyClient, url: str) -> Subscriptions:
    existing = client.webhook_subscriptions()
    at_url = {s.topic for s in existing if s.uri == url}
    return Subscriptions(
        url=url,
        present=tuple(topic for topic in TOPICS if topic in at_url),
        missing=tuple(topic for topic in TOPICS if topic not in at_url),
        elsewhere=tuple((s.topic, s.uri) for s in existing if s.uri != url),
    )


def subscriptions_ensure(client: ShopifyClient, url: str) -> tuple[str, ...]:
    """Subscribe every missing topic at `url`; returns the topics it had to subscribe."""
    missing = subscriptions_read(client, url).missing
    for topic in missing:
        client.webhook_subscription_create(topic=topic, uri=url)
    return missing
