"""The `Moderators` group and exactly the permissions moderators need: view users and
posts (and edit histories), handle reports, hide posts, suspend users, read the
audit log. No add, change or delete of users, posts or groups: no password, no
permission, no profile edit.

Created by migration 0002 and kept by a post_migrate handler (moderation.apps),
so a database flushed by `flush` (or a transactional test) gets it back.
"""

from typing import Any

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


def ensure_moderators_group(*, group_model: Any, permission_model: Any) -> None:
    """Create the group, or set its permissions back to exactly PERMISSIONS
    (models given: the migration passes its historical ones)."""
    group, _ = group_model.objects.get_or_create(name=GROUP)
    wanted = [
        permission_model.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)
