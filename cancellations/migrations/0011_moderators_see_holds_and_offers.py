"""Moderators see the fulfilment holds (and may release them) and the offers shoppers were shown."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
ADDED = [("cancellations", "view_fulfilmenthold"), ("cancellations", "view_retentionoffer")]


def grant(apps, schema_editor) -> None:
    config = apps.get_app_config("cancellations")
    config.models_module = True
    create_permissions(config, verbosity=0, using=schema_editor.connection.alias, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:  # removed by an operator: not ours to bring back
        return
    for app_label, codename in ADDED:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="cancellations", codename__in=[c for _a, c in ADDED])
        )


class Migration(migrations.Migration):
    dependencies = [("cancellations", "0010_fulfilment_holds")]

    operations = [migrations.RunPython(grant, revoke)]
