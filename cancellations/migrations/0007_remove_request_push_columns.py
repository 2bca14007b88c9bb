"""Enforce: the push's per-call columns on Request are gone; the outbox rows (0006 filled them) hold them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cancellations', '0006_requests_onto_outbox'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='request',
            name='push_intent_at',
        ),
        migrations.RemoveField(
            model_name='request',
            name='refund_intent_at',
        ),
        migrations.RemoveField(
            model_name='request',
            name='shopify_call_answered_at',
        ),
        migrations.RemoveField(
            model_name='request',
            name='shopify_call_started_at',
        ),
        migrations.RemoveField(
            model_name='request',
            name='shopify_confirmed_at',
        ),
        migrations.RemoveField(
            model_name='request',
            name='shopify_job_id',
        ),
        migrations.RemoveField(
            model_name='request',
            name='shopify_refund_id',
        ),
    ]
