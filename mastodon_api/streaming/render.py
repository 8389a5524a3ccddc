"""What streaming sessions read and render, for one viewer (sync: run through
database_sync_to_async). The apps' selectors decide what the viewer may see;
mastodon_api.entities and mastodon_api.notifications render it."""

from types import SimpleNamespace

from django.conf import settings

from core.pagination import KeysetWindow
from mastodon_api import notifications as mastodon_notifications
from mastodon_api.entities import StatusItem, StatusRenderer
from notifications import selectors as notification_selectors
from relationships.visibility import muted_user_ids_q
from tweets.feed.selectors import home_timeline
from tweets.selectors import posts_for_viewer, visible_posts


class BaseURL(SimpleNamespace):
    """What renderers need of a request (absolute URLs) where there is none: a
    WebSocket. `base`: scheme and host, e.g. "https://social.example"."""

    def build_absolute_uri(self, location: str = "/") -> str:
        return f"{self.base}{location}"


def websocket_base(scope) -> BaseURL:
    """The socket's own host, as http(s) (daphne sets the scheme from
    X-Forwarded-Proto behind a proxy with --proxy-headers)."""
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    secure = scope.get("scheme") in ("wss", "https")
    return BaseURL(base=f"{'https' if secure else 'http'}://{host}" if host else "")


def instance_base() -> BaseURL:
    """Without a connection: the first Mastodon host name."""
    hosts = settings.MASTODON_API_HOSTS
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    return BaseURL(base=f"{scheme}://{hosts[0]}" if hosts else "")


def notification(*, viewer, notification_id: int, request=None) -> dict | None:
    rows = notification_selectors.notifications_by_ids(user=viewer, ids=[notification_id])
    rendered = mastodon_notifications.render(
        viewer=viewer, notifications=rows, request=request or instance_base()
    )
    return rendered[0] if rendered else None


def home_updates(*, viewer, newest_id: int, since_id: int | None, limit: int, request=None):
    """[(entry id, post id, Status)] of the home entries in (since_id, newest_id],
    oldest first."""
    rows = home_timeline(
        viewer=viewer, window=KeysetWindow(limit=limit, before=newest_id + 1), since_id=since_id
    )[:limit]
    rows = list(reversed(rows))
    posts = {p.id: p for p in posts_for_viewer(viewer=viewer, ids=[r.post_id for r in rows])}
    items = [
        StatusItem(
            id=r.id,
            post=posts[r.post_id],
            reblogger=r.retweeted_by if r.type == "retweet" else None,
            created_at=r.created_at,
        )
        for r in rows
        if r.post_id in posts
    ]
    renderer = StatusRenderer(viewer=viewer, request=request or instance_base())
    statuses = {s["id"]: s for s in renderer.render_items(items)}
    return [
        (item.id, item.post.id, statuses[str(item.id)])
        for item in items
        if str(item.id) in statuses
    ]


def status(*, viewer, post_id: int, request=None) -> dict | None:
    """The post as a Status if the viewer may see it and does not mute its author."""
    post = (
        visible_posts(viewer=viewer)
        .exclude(muted_user_ids_q(viewer=viewer))
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        return None
    return StatusRenderer(viewer=viewer, request=request or instance_base()).render_one(post)
