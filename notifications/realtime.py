"""What notifications push over WebSockets and SSE (frame formats: docs/realtime.md).

Everything here runs after commit and is best effort (core.realtime): a lost
frame is recovered by the client's REST resync.

- `notification.created`  {"type", "notification": <the REST shape>}
- `notification.unread_count`  {"type", "count"}
- `post.updated`  {"type", "post": {...}} to the group "post.<id>" of sockets
  that subscribed to the post; counter changes are throttled per post.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from core.background import send_task
from core.realtime import push_to_group, push_to_user
from notifications import selectors
from notifications.rendering import render_notifications
from tweets.models import Post
from tweets.rendering import render_post_update

logger = logging.getLogger(__name__)


def push_new_notifications(*, ids_by_recipient: dict[int, list[int]]) -> None:
    """Render each recipient's new notifications as the list endpoint does and push
    them, then the recipient's unread count. A fixed number of queries per recipient."""
    users = {u.pk: u for u in User.objects.filter(pk__in=list(ids_by_recipient))}
    for recipient_id, ids in ids_by_recipient.items():
        user = users.get(recipient_id)
        if user is None:
            continue
        rows = selectors.notifications_by_ids(user=user, ids=ids)
        for rendered in reversed(render_notifications(viewer=user, notifications=rows)):
            push_to_user(
                user_id=recipient_id,
                payload={"type": "notification.created", "notification": rendered},
            )
        push_unread_counts(user_ids=[recipient_id])


def push_unread_counts(*, user_ids) -> None:
    for user_id, count in selectors.unread_counts(user_ids=user_ids).items():
        push_to_user(user_id=user_id, payload={"type": "notification.unread_count", "count": count})


# --- post.updated ------------------------------------------------------------------


def post_group(post_id: int) -> str:
    return f"post.{post_id}"


def push_to_post(*, post_id: int, payload: dict) -> None:
    """Send `payload` to the sockets subscribed to the post, after commit."""
    push_to_group(group=post_group(post_id), payload=payload)


def post_update_frame(*, post_id: int, post) -> dict:
    """The current state of a post as subscribers see it (`post` None: it is gone).
    The group is shared by every subscriber, so nothing viewer-specific (liked,
    bookmarked) is in it."""
    return {"type": "post.updated", "post": render_post_update(post_id=post_id, post=post)}


TRAILING_PUSH_TASK = (
    "notifications.push_post_updates"  # notifications.tasks.push_post_updates_later
)


def push_post_updates(*, post_ids, throttled: bool) -> None:
    """Push the current state of the posts. Throttled pushes (counters) go out at
    most once per post per NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS: the first
    change of a window pushes at once, later ones schedule one trailing push at
    the end of the window, which carries the counters as they are by then."""
    interval = settings.NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS
    due = []
    for post_id in set(post_ids):
        if not throttled or cache.add(f"notifications:post-push:{post_id}", 1, timeout=interval):
            due.append(post_id)
        elif cache.add(f"notifications:post-push-trailing:{post_id}", 1, timeout=interval):
            send_task(TRAILING_PUSH_TASK, kwargs={"post_ids": [post_id]}, countdown=interval)
    if not due:
        return
    posts = {p.id: p for p in Post.objects.filter(pk__in=due)}
    for post_id in due:
        push_to_post(
            post_id=post_id, payload=post_update_frame(post_id=post_id, post=posts.get(post_id))
        )
