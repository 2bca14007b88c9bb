"""`manage.py encryption_rotate`: re-encrypt stored secrets with the newest key of PORTAL_ENCRYPTION_KEYS.

Rotation: put a new key in front of PORTAL_ENCRYPTION_KEYS (keep the old one after it), restart, run this,
then remove the old key. `--generate-key` prints a new key and changes nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shopify_sync import encryption


class Command(BaseCommand):
    help = "Re-encrypt stored secrets (Shopify tokens, order link keys) with the newest encryption key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--generate-key", action="store_true", help="print a new key and exit")

    def handle(self, *args, generate_key: bool, **options) -> None:
        if generate_key:
            self.stdout.write(encryption.generate_key())
            return
        rotated = unreadable = 0
        with transaction.atomic():
            for label, field in encryption.ENCRYPTED_FIELDS:
                model = apps.get_model(label)
                for row in model.objects.select_for_update().exclude(**{field: ""}):
                    try:
                        setattr(row, field, encryption.reencrypt(getattr(row, field)))
                    except encryption.InvalidToken:
                        unreadable += 1
                        self.stderr.write(f"{label} {row.pk}: no configured key opens its {field}")
                        continue
                    stamped = [f.name for f in model._meta.fields if getattr(f, "auto_now", False)]
                    row.save(update_fields=[field, *stamped])
                    rotated += 1
        if unreadable:
            raise CommandError(
                f"{rotated} re-encrypted, {unreadable} unreadable: add the key they were made with back to "
                "PORTAL_ENCRYPTION_KEYS (or connect those shops again, or add new order link keys)"
            )
        self.stdout.write(self.style.SUCCESS(f"{rotated} stored secrets re-encrypted with the newest key"))
