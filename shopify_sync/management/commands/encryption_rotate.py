"""`manage.py encryption_rotate`: re-encrypt stored secrets with the newest key of PORTAL_ENCRYPTION_KEYS.

Rotation: put a new key in front of PORTAL_ENCRYPTION_KEYS (keep the old one after it), restart, run this,
then remove the old key. `--generate-key` prints a new key and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shopify_sync import encryption
from shopify_sync.models import ShopAccess


class Command(BaseCommand):
    help = "Re-encrypt stored Shopify tokens with the first key of PORTAL_ENCRYPTION_KEYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--generate-key", action="store_true", help="print a new key and exit")

    def handle(self, *args, generate_key: bool, **options) -> None:
        if generate_key:
            self.stdout.write(encryption.generate_key())
            return
        rotated = unreadable = 0
        with transaction.atomic():
            for access in ShopAccess.objects.select_for_update().exclude(token_ciphertext=""):
                try:
                    access.token_ciphertext = encryption.reencrypt(access.token_ciphertext)
                except encryption.InvalidToken:
                    unreadable += 1
                    self.stderr.write(f"{access.shop_id}: no configured key opens its token")
                    continue
                access.save(update_fields=["token_ciphertext", "updated_at"])
                rotated += 1
        if unreadable:
            raise CommandError(
                f"{rotated} re-encrypted, {unreadable} unreadable: add the key they were made with back to "
                "PORTAL_ENCRYPTION_KEYS (or connect those shops again)"
            )
        self.stdout.write(self.style.SUCCESS(f"{rotated} stored tokens re-encrypted with the newest key"))
