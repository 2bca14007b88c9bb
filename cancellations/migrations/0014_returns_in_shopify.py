# A return is opened in Shopify at submit and decided there or here: its decline is an outbox call too.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cancellations", "0013_returns"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shopifymutation",
            name="operation",
            field=models.CharField(
                choices=[
                    ("orderCancel", "Cancel the order"),
                    ("refundCreate", "Refund part of the payment"),
                    ("orderUpdate", "Change the shipping address"),
                    ("orderEditCommit", "Change the items"),
                    ("giftCardCreate", "Issue store credit"),
                    ("orderClose", "Archive the order"),
                    ("returnRequest", "Ask Shopify for a return"),
                    ("returnApproveRequest", "Approve the return"),
                    ("returnDeclineRequest", "Decline the return"),
                ],
                max_length=40,
            ),
        ),
    ]
