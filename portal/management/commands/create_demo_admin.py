"""Create the demo admin that `make run` prints, once. Refuses with DEBUG off: it is a known password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the local demo admin account (development only, idempotent)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("create_demo_admin only runs with DEBUG=true: its password is public.")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=settings.DEMO_ADMIN_USERNAME,
            defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(settings.DEMO_ADMIN_PASSWORD)
            user.save(update_fields=["password"])
            self.stdout.write("Created the demo admin.")
        else:
            self.stdout.write("The demo admin exists already.")
