"""`manage.py register_webhooks`: subscribe the store to every topic the portal handles. Idempotent."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyError
from shopify_sync.webhooks.subscriptions import TOPICS, endpoint_url, subscriptions_ensure


class Command(BaseCommand):
    help = "Subscribe the configured store to every webhook topic the portal handles (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--url",
            help="public address of the webhook endpoint "
            "(default: PORTAL_BASE_URL, else the first public host of ALLOWED_HOSTS, + /shopify/webhooks/)",
        )

    def handle(self, *args, url: str | None, **options) -> None:
        url = url or endpoint_url()
        if not url:
            raise CommandError(
                "Pass --url https://your-portal.example.com/shopify/webhooks/ (no public host is configured)."
            )
        try:
            created = subscriptions_ensure(client_for(), url)
        except ShopifyError as exc:
            raise CommandError(f"Shopify: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(created)} subscriptions created, {len(TOPICS) - len(created)} already there → {url}"
            )
        )
