
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cancellations', '0004_moderators_group'),
    ]

    operations = [
        migrations.CreateModel(
            name='ShopifyMutation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(help_text="Order of the calls within the request's plan.")),
                ('operation', models.CharField(choices=[('orderCancel', 'Cancel the order'), ('refundCreate', 'Refund part of the payment'), ('orderUpdate', 'Change the shipping address')], max_length=40)),
                ('variables', models.JSONField(blank=True, default=dict, help_text='What the call sends, as planned with the decision.')),
                ('state', models.CharField(choices=[('planned', 'Planned'), ('sent', 'Sent, no answer yet'), ('answered', 'Answered, not yet shown'), ('confirmed', 'Confirmed by Shopify'), ('failed', 'Failed')], default='planned', max_length=12)),
                ('attempt', models.PositiveIntegerField(default=1)),
                ('idempotency_key', models.CharField(max_length=100)),
                ('sends', models.PositiveIntegerField(default=0, help_text='Calls made, resends included.')),
                ('first_sent_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                ('result_id', models.CharField(blank=True, help_text='What Shopify answered: a job or the object it made.', max_length=200)),
                ('answer', models.JSONField(blank=True, default=dict)),
                ('error', models.TextField(blank=True, help_text="Shopify's message when the row failed.")),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mutations', to='cancellations.request')),
            ],
            options={
                'verbose_name': 'Shopify call',
                'verbose_name_plural': 'Shopify calls',
                'ordering': ['request', 'position'],
                'constraints': [models.UniqueConstraint(fields=('request', 'position'), name='mutation_unique_position'), models.UniqueConstraint(fields=('idempotency_key',), name='mutation_unique_idempotency_key'), models.CheckConstraint(condition=models.Q(('state__in', ['planned', 'sent', 'answered', 'confirmed', 'failed'])), name='mutation_state_valid')],
            },
        ),
    ]
