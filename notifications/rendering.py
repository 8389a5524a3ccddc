"""How a notification is shown, in the list and in its push (one renderer for
both, so a pushed notification is exactly a listed one).

`{"id", "verb", "actor", "target", "is_read", "created_at"}`: the actor as a
user summary, the target as a post (`tweets.rendering`, the posts API's shape)
or a user summary, or null. Sentry's pattern, as for posts: `get_attrs` gathers
the targets of the whole batch (the posts, their references and the viewer's
flags, the users: a fixed number of queries), `serialize` renders each one.
The shape is declared for the schema by `notifications.api.serializers`.
"""

from notifications import selectors
from notifications.models import TargetType
from tweets.rendering import PostRenderer, iso_datetime


class NotificationRenderer:
    def __init__(self, *, viewer, request=None):
        self.viewer = viewer
        self.posts = PostRenderer(viewer=viewer, request=request)
        self.users = self.posts.users

    def get_attrs(self, notifications) -> dict[int, dict | None]:
        """The rendered target of each notification, by notification id."""
        targets = selectors.notification_targets(viewer=self.viewer, notifications=notifications)
        posts = {int(post["id"]): post for post in self.posts.render(targets.posts)}
        attrs: dict[int, dict | None] = {}
        for notification in notifications:
            target = None
            if notification.target_type == TargetType.POST:
                target = posts.get(notification.target_id)
            elif notification.target_type == TargetType.USER:
                user = targets.users.get(notification.target_id)
                target = self.users(user) if user is not None else None
            attrs[notification.id] = target
        return attrs

    def serialize(self, notification, target: dict | None) -> dict:
        return {
            "id": str(notification.id),
            "verb": str(notification.verb),
            "actor": self.users(notification.actor),
            "target": target,
            "is_read": notification.is_read,
            "created_at": iso_datetime(notification.surfaced_at),
        }

    def render(self, notifications) -> list[dict]:
        notifications = list(notifications)
        targets = self.get_attrs(notifications)
        return [self.serialize(n, targets[n.id]) for n in notifications]


def render_notifications(*, viewer, notifications, request=None) -> list[dict]:
    """A page of notifications in a fixed number of queries."""
    return NotificationRenderer(viewer=viewer, request=request).render(notifications)
