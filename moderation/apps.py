from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_moderators_group(sender, using="default", **kwargs) -> None:
    """post_migrate (after every app's permissions exist): the Moderators group is
    back after a flush, with exactly its permissions (moderation.roles)."""
    from django.contrib.auth.models import Group, Permission

    from moderation.roles import ensure_moderators_group

    if sender.name != "moderation":
        return
    ensure_moderators_group(group_model=Group, permission_model=Permission)


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        # Registers the tasks that services send by name (core.background).
        from moderation import tasks  # noqa: F401

        post_migrate.connect(_ensure_moderators_group, dispatch_uid="moderators-group")
