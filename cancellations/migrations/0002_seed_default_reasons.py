"""Seed the default cancel reasons: what every new shop's policy starts with (copied on creation)."""

from django.db import migrations

# Constant data, imported rather than copied so the template rows and the fallback cannot drift apart.
from cancellations.defaults import DEFAULT_REASONS

def seed(apps, schema_editor):
    CancelReason = apps.get_model("cancellations", "CancelReason")
    for position, (code, label_en, label_ko, requires_text) in enumerate(DEFAULT_REASONS):
        CancelReason.objects.update_or_create(
            policy=None,
            code=code,
            defaults={
                "label_en": label_en,
                "label_ko": label_ko,
                "position": (position + 1) * 10,
                "requires_text": requires_text,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    CancelReason = apps.get_model("cancellations", "CancelReason")
    CancelReason.objects.filter(policy=None, code__in=[code for code, *_ in DEFAULT_REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("cancellations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
