"""`manage.py shopify_check [--shop DOMAIN]`: is the store connected the way the portal needs?

One line per check (token, connection, scopes, protected customer data, webhooks, API version); exits 1
when any check fails, so a deploy script can stop on it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shopify_sync.connection_checks import FAIL, OK, WARN, connection_checks
from shopify_sync.models import Shop
from shopify_sync.selectors import configured_shop_domain
from shopify_sync.services.shops import shop_get_or_create_current


class Command(BaseCommand):
    help = "Check the connection to Shopify: token, scopes, protected data, webhooks, API version."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--shop", help="the shop's myshopify.com domain (default: SHOPIFY_SHOP_DOMAIN)")
        parser.add_argument("--webhook-url", help="where webhooks should arrive (default: PORTAL_BASE_URL)")

    def handle(self, *args, shop: str | None, webhook_url: str | None, **options) -> None:
        domain = (shop or configured_shop_domain()).strip().lower()
        found = (
            shop_get_or_create_current()
            if domain == configured_shop_domain()
            else Shop.objects.filter(domain=domain).first()
        )
        if found is None:
            raise CommandError(f"No shop {domain} is connected to this portal.")
        style = {OK: self.style.SUCCESS, WARN: self.style.WARNING, FAIL: self.style.ERROR}
        checks = connection_checks(found, webhook_url=webhook_url)
        for check in checks:
            label = style.get(check.status, str)(f"{check.status.upper():<4}")
            self.stdout.write(f"{label} {check.name:<15} {check.detail}")
        failed = [check.name for check in checks if check.failed]
        if failed:
            raise CommandError(f"{domain}: {len(failed)} check(s) failed: {', '.join(failed)}", returncode=1)
