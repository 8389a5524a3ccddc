"""The `Moderators` group with exactly what moderators need (README "Moderation"):
view users and posts (and edit histories), handle reports, hide posts, suspend
users, read the audit log. No add, change or delete of users, posts or groups:
no password, no permission, no profile edit."""

from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("accounts", "view_user"),
    ("tweets", "view_post"),
    ("tweets", "view_postedit"),
    ("moderation", "view_report"),
    ("moderation", "change_report"),
    ("moderation", "hide_post"),
    ("moderation", "suspend_user"),
    ("moderation", "view_auditrecord"),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made by post_migrate, after every migration: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)


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
