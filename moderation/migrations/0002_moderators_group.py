"""The `Moderators` group with exactly what moderators need (moderation.roles)."""

from django.db import migrations

from moderation.roles import GROUP, ensure_moderators_group

def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made by post_migrate, after every migration: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_moderators_group(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


def create_audit_head(apps, schema_editor):
    apps.get_model("moderation", "AuditHead").objects.get_or_create(pk=1, defaults={"hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("accounts", "0004_user_suspension"),
        ("tweets", "0003_post_hidden_at"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_group, remove_group),
        migrations.RunPython(create_audit_head, migrations.RunPython.noop),
    ]
