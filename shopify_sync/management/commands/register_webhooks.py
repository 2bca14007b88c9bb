"""`manage.py register_webhooks`: subscribe the store to every topic the portal handles. Idempotent."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shopify_sync.client import ShopifyClient
from shopify_sync.errors import ShopifyError

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
)


class Command(BaseCommand):
    help = "Subscribe the configured store to every webhook topic the portal handles (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--url",
            help="public address of the webhook endpoint "
            "(default: https://<first of ALLOWED_HOSTS>/shopify/webhooks/)",
        )

    def handle(self, *args, url: str | None, **options) -> None:
        url = url or _default_url()
        client = ShopifyClient.from_settings()
        try:
            existing = {(s.topic, s.uri) for s in client.webhook_subscriptions()}
            created = 0
            for topic in TOPICS:
                if (topic, url) in existing:
                    continue
                client.webhook_subscription_create(topic=topic, uri=url)
                created += 1
        except ShopifyError as exc:
            raise CommandError(f"Shopify: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} subscriptions created, {len(TOPICS) - created} already there → {url}"
            )
        )


def _default_url() -> str:
    hosts = [
        h for h in settings.ALLOWED_HOSTS if h not in {"*", "localhost", "127.0.0.1", "[::1]", "testserver"}
    ]
    if not hosts:
        raise CommandError(
            "Pass --url https://your-portal.example.com/shopify/webhooks/ (no public host is configured)."
        )
    return f"https://{hosts[0].lstrip('.')}/shopify/webhooks/"
