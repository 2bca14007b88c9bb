"""The "Moderators" group: exactly what a person deciding on requests needs in /admin/, and no more.

Permissions are normally created after all migrations ran (post_migrate); they are created here first so
that a fresh database gets the group complete in one `migrate`.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    # app label, codename
    ("cancellations", "view_request"),
    ("cancellations", "change_request"),
    ("cancellations", "moderate_request"),
    ("cancellations", "view_insights"),
    ("cancellations", "view_policy"),
    ("cancellations", "change_policy"),
    ("cancellations", "view_cancelreason"),
    ("cancellations", "change_cancelreason"),
    ("shopify_sync", "view_order"),
    ("shopify_sync", "view_customer"),
    ("shopify_sync", "view_lineitem"),
    ("shopify_sync", "view_webhookdelivery"),
]


def _permissions_ensure(apps, using: str) -> None:
    for label in ("shopify_sync", "cancellations"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, using=using, apps=apps)
        config.models_module = None


def group_ensure(apps, schema_editor) -> None:
    """Create or reset the group to exactly PERMISSIONS (also used by tests on a flushed database)."""
    _permissions_ensure(apps, schema_editor.connection.alias if schema_editor else "default")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)


def group_remove(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("shopify_sync", "0001_initial"),
        ("cancellations", "0003_request_permissions"),
    ]

    operations = [migrations.RunPython(group_ensure, group_remove)]
