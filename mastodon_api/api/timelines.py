"""Timelines (home, public, tag/{hashtag}) and markers.

- home: Warble's home feed (`tweets.feed.selectors.home_timeline`: Redis or SQL, same
  entries and cursors), posts and reblogs, paged by entry id.
- public: Warble has one server, so `local=true` and the default are the same list:
  every visible post of public accounts (no reblogs, as Mastodon's), newest first.
  `remote=true` is empty; `only_media` keeps posts with media.
- tag/{hashtag}: `search.selectors.hashtag_posts` (`any[]`/`all[]`/`none[]` ignored).
"""

from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from mastodon_api.api.common import flag
from mastodon_api.entities import StatusItem, StatusRenderer
from mastodon_api.models import Marker
from mastodon_api.paging import Page, paged
from mastodon_api.views import MastodonView, PublicRead
from relationships import selectors as rel_selectors
from search import selectors as search_selectors
from tweets import selectors as tweet_selectors
from tweets.feed.selectors import home_timeline


def _render_page(request, page, items, more):
    data = StatusRenderer(viewer=request.user, request=request).render_items(items)
    return paged(Response(data), request, page, [i.id for i in items], more=more)


class HomeTimelineView(MastodonView):
    required_scopes = {"GET": "read:statuses"}

    def get(self, request):
        page = Page.from_request(request)
        rows = home_timeline(viewer=request.user, window=page.window, since_id=page.since_id)
        rows, more = page.finish(rows, window=True)
        posts = {
            p.id: p
            for p in tweet_selectors.posts_for_viewer(
                viewer=request.user, ids=[r.post_id for r in rows]
            )
        }
        reblogger_ids = {r.retweeted_by.pk for r in rows if r.retweeted_by is not None}
        rebloggers = (
            rel_selectors.users_visible_to(viewer=request.user).in_bulk(list(reblogger_ids))
            if reblogger_ids
            else {}
        )
        items = []
        for row in rows:
            post = posts.get(row.post_id)
            if post is None:
                continue
            reblogger = None
            if row.retweeted_by is not None:
                reblogger = rebloggers.get(row.retweeted_by.pk)
                if reblogger is None:
                    continue
            items.append(
                StatusItem(id=row.id, post=post, reblogger=reblogger, created_at=row.created_at)
            )
        data = StatusRenderer(viewer=request.user, request=request).render_items(items)
        return paged(Response(data), request, page, [r.id for r in rows], more=more)


def _post_list(request, posts):
    page = Page.from_request(request)
    if flag(request.query_params, "only_media"):
        posts = posts.exclude(media_ids=[])
    rows, more = page.finish(page.apply(posts))
    return _render_page(request, page, [StatusItem(id=p.id, post=p) for p in rows], more)


class PublicTimelineView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses"}

    def get(self, request):
        if flag(request.query_params, "remote"):
            return Response([])
        posts = tweet_selectors.visible_posts(viewer=request.user).filter(author__is_private=False)
        return _post_list(request, posts)


class TagTimelineView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses"}

    def get(self, request, hashtag: str):
        if flag(request.query_params, "remote"):
            return Response([])
        return _post_list(request, search_selectors.hashtag_posts(viewer=request.user, tag=hashtag))


TIMELINES = ("home", "notifications")


def _marker(marker: Marker) -> dict:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": marker.updated_at.isoformat().replace("+00:00", "Z"),
    }


class MarkersView(MastodonView):
    """Where the user stopped reading, per timeline (home, notifications), kept for
    the clients that sync it (Mastodon's markers). Client state only: Warble's own
    notification read state is not changed by it."""

    required_scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    def get(self, request):
        names = request.query_params.getlist("timeline[]") or request.query_params.getlist(
            "timeline"
        )
        names = [n for n in names if n in TIMELINES] or list(TIMELINES)
        markers = Marker.objects.filter(user=request.user, timeline__in=names)
        return Response({m.timeline: _marker(m) for m in markers})

    def post(self, request):
        out = {}
        for name in TIMELINES:
            value = request.data.get(name)
            if value is None:
                value = request.data.get(f"{name}[last_read_id]")
            elif isinstance(value, dict):
                value = value.get("last_read_id")
            else:
                raise ValidationError({name: ["Give {last_read_id}."]})
            if value is None:
                continue
            text = str(value)
            if not (text.isascii() and text.isdigit() and len(text) <= 19):
                raise ValidationError({f"{name}[last_read_id]": ["Must be an id."]})
            marker = Marker.save_position(
                user=request.user, timeline=name, last_read_id=int(text), now=timezone.now()
            )
            out[name] = _marker(marker)
        if not out:
            raise ValidationError(
                {"home": ["Give home[last_read_id] or notifications[last_read_id]."]}
            )
        return Response(out)
