"""Reads of notifications. None costs a query per row.

What a recipient sees is filtered when read, so it follows the relationship
rules as they are now, not as they were when the notification was made: an
actor the recipient blocks, is blocked by or mutes, or whose account is gone,
disappears; so does a notification whose target post the recipient may no
longer see, and a follow request that is no longer pending.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.viewer import Viewer
from notifications.models import Mention, Notification, NotificationSettings, TargetType, Verb
from relationships.models import FollowRequest
from relationships.visibility import block_between_q, muted_user_ids_q
from tweets.models import Post
from tweets.selectors import posts_for_viewer


def visible_notifications(*, user: User) -> QuerySet[Notification]:
    """The recipient's notifications as they should be shown (a queryset, actor loaded)."""
    hidden_target = Q(target_type=TargetType.POST) & ~Q(
        Exists(Post.objects.visible_to(user).filter(pk=OuterRef("target_id")))
    )
    stale_request = Q(verb=Verb.FOLLOW_REQUEST) & ~Q(
        Exists(FollowRequest.objects.filter(requester_id=OuterRef("actor_id"), target_id=user.pk))
    )
    return (
        Notification.objects.filter(
            recipient_id=user.pk, actor__is_active=True, actor__deactivated_at__isnull=True
        )
        .exclude(block_between_q(viewer_id=user.pk, user_field="actor"))
        .exclude(muted_user_ids_q(viewer=user, author_field="actor"))
        .exclude(hidden_target)
        .exclude(stale_request)
        .select_related("actor")
    )


def notification_list(
    *, user: User, unread: bool | None = None, verbs: list[str] | None = None
) -> QuerySet[Notification]:
    """Newest first by `sort_id` (the caller paginates)."""
    rows = visible_notifications(user=user)
    if unread is not None:
        rows = rows.filter(is_read=not unread)
    if verbs:
        rows = rows.filter(verb__in=verbs)
    return rows


def unread_count(*, user: User) -> int:
    return visible_notifications(user=user).filter(is_read=False).count()


def unread_counts(*, user_ids: Iterable[int]) -> dict[int, int]:
    """Unread counts for several recipients (pushes after a batch): one query each."""
    users = User.objects.filter(pk__in=set(user_ids))
    return {user.pk: unread_count(user=user) for user in users}


def notifications_by_ids(*, user: User, ids: Iterable[int]) -> list[Notification]:
    """The recipient's visible notifications among `ids`, newest first (for pushes)."""
    return list(visible_notifications(user=user).filter(pk__in=list(ids)).order_by("-sort_id"))


@dataclass
class NotificationTargets:
    posts: list[Post] = field(default_factory=list)  # the visible target posts
    users: dict[int, User] = field(default_factory=dict)


def notification_targets(
    *, viewer: Viewer, notifications: Iterable[Notification]
) -> NotificationTargets:
    """Targets of a page of notifications: the posts the viewer may see (one query,
    author loaded) and the users (one query). Constant in the page size."""
    post_ids = {n.target_id for n in notifications if n.target_type == TargetType.POST}
    user_ids = {n.target_id for n in notifications if n.target_type == TargetType.USER}
    targets = NotificationTargets()
    if post_ids:
        targets.posts = posts_for_viewer(viewer=viewer, ids=sorted(post_ids))
    if user_ids:
        targets.users = {u.pk: u for u in User.objects.visible().filter(pk__in=user_ids)}
    return targets


# --- mentions and settings -------------------------------------------------------


def mentioned_user_ids(*, post_ids: Iterable[int]) -> dict[int, set[int]]:
    """The mentioned users of each of these posts (posts without any are left out)."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = Mention.objects.filter(post_id__in=list(post_ids)).values_list("post_id", "user_id")
    for post_id, user_id in rows:
        found[post_id].add(user_id)
    return found


def email_verbs_for(*, user_ids: Iterable[int]) -> dict[int, set[str]]:
    """Verbs each user wants emails for (users without settings want none). One query."""
    rows = NotificationSettings.objects.filter(user_id__in=set(user_ids)).values_list(
        "user_id", "email_verbs"
    )
    return {user_id: set(verbs or []) for user_id, verbs in rows}


def settings_for(*, user: User) -> NotificationSettings:
    """The user's settings (defaults when they never changed them; nothing is written)."""
    return NotificationSettings.objects.filter(user_id=user.pk).first() or NotificationSettings(
        user_id=user.pk
    )
