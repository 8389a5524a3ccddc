"""Statuses: create (Idempotency-Key), get, delete, edit + history + source, context,
favourite, reblog, bookmark and their undo, favourited_by, reblogged_by.

Mapping to Warble (README "Use your favourite Mastodon client"):
- `visibility`: Warble posts are public, or followers-only when the author's account
  is private. `public` is accepted, `private` too when the author is private (that is
  what their posts are); `unlisted`, `direct` and `private` on a public account are
  refused with 422 rather than silently posted publicly.
- `sensitive=true` / a non-empty `spoiler_text`: Warble has no content warnings; refused
  with 422 (the post would otherwise be shown without the warning the author asked for).
- `poll`, `scheduled_at`: refused with 422. `language` is accepted and ignored.
- `quoted_status_id` / `quote_id`: a quote (rendered as a link in `content`).
"""

from rest_framework import status as http
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.errors import NotFound
from core.idempotency import idempotent
from mastodon_api import entities
from mastodon_api.api.common import body_id, flag, id_list, path_id, text
from mastodon_api.entities import StatusItem, StatusRenderer
from mastodon_api.paging import Page, paged
from mastodon_api.views import MastodonView, PublicRead
from tweets import selectors as tweet_selectors
from tweets import services as tweet_services

NO_CONTENT_WARNINGS = (
    "Warble has no content warnings: sensitive and spoiler_text are not supported."
)


def _refuse_unsupported(request) -> None:
    data = request.data
    if flag(data, "sensitive") or (text(data, "spoiler_text") or "").strip():
        raise ValidationError({"spoiler_text": [NO_CONTENT_WARNINGS]})
    if data.get("poll") or any(k.startswith("poll[") for k in data):
        raise ValidationError({"poll": ["Warble has no polls."]})
    if data.get("scheduled_at"):
        raise ValidationError({"scheduled_at": ["Warble has no scheduled posts."]})


def _check_visibility(request) -> None:
    visibility = text(request.data, "visibility") or "public"
    if visibility == "public" or (visibility == "private" and request.user.is_private):
        return
    raise ValidationError(
        {
            "visibility": [
                "Warble posts are public (followers-only when your account is locked): "
                f"{visibility!r} is not supported."
            ]
        }
    )


def _render(request, post) -> dict:
    return StatusRenderer(viewer=request.user, request=request).render_one(post)


def _visible(request, status_id: str):
    return tweet_selectors.post_get_visible(viewer=request.user, post_id=path_id(status_id))


class StatusesView(MastodonView):
    required_scopes = {"POST": "write:statuses"}

    @idempotent
    def post(self, request):
        _refuse_unsupported(request)
        _check_visibility(request)
        data = request.data
        body = text(data, "status") or ""
        reply_to = data.get("in_reply_to_id")
        quote = data.get("quoted_status_id") or data.get("quote_id")
        post = tweet_services.post_create(
            author=request.user,
            text=body,
            reply_to_id=body_id(reply_to, "in_reply_to_id") if reply_to else None,
            quote_of_id=body_id(quote, "quoted_status_id") if quote else None,
            media_ids=id_list(data, "media_ids", maximum=4),
        )
        return Response(_render(request, post), status=http.HTTP_200_OK)


class StatusView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses", "PUT": "write:statuses", "DELETE": "write:statuses"}

    def get(self, request, status_id: str):
        return Response(_render(request, _visible(request, status_id)))

    def put(self, request, status_id: str):
        _refuse_unsupported(request)
        post_id = path_id(status_id)
        post = tweet_selectors.post_get_visible(viewer=request.user, post_id=post_id)
        if "media_ids[]" in request.data or "media_ids" in request.data:
            wanted = id_list(request.data, "media_ids", maximum=4)
            if sorted(wanted) != sorted(int(i) for i in post.media_ids):
                raise ValidationError({"media_ids": ["Warble edits change the text only."]})
        post = tweet_services.post_edit(
            user=request.user, post_id=post_id, text=text(request.data, "status") or ""
        )
        return Response(
            _render(request, tweet_selectors.post_get_visible(viewer=request.user, post_id=post.id))
        )

    def delete(self, request, status_id: str):
        post = _visible(request, status_id)
        rendered = _render(request, post)
        tweet_services.post_delete(user=request.user, post_id=post.id)
        return Response({**rendered, "text": post.text})


class StatusHistoryView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses"}

    def get(self, request, status_id: str):
        post = _visible(request, status_id)
        edits = list(
            tweet_selectors.post_edit_history(viewer=request.user, post_id=post.id).order_by("id")
        )
        current = _render(request, post)
        base = entities.base_url(request)
        versions = []
        created = current["created_at"]
        for edit in edits:
            versions.append((edit.text, created))
            created = entities._date(edit.edited_at)
        versions.append((post.text, created))
        return Response(
            [
                {
                    "content": entities.content_html(t, mentions=[], hashtags=_tags(t), base=base),
                    "spoiler_text": "",
                    "sensitive": False,
                    "created_at": at,
                    "account": current["account"],
                    "poll": None,
                    "media_attachments": current["media_attachments"],
                    "emojis": [],
                }
                for t, at in versions
            ]
        )


def _tags(value: str) -> list[dict]:
    from tweets.rendering import hashtag_entities

    return hashtag_entities(value)


class StatusSourceView(MastodonView):
    required_scopes = {"GET": "read:statuses"}

    def get(self, request, status_id: str):
        post = _visible(request, status_id)
        if post.author_id != request.user.pk:
            raise NotFound()
        return Response(entities.status_source(post))


class StatusContextView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses"}

    def get(self, request, status_id: str):
        thread = tweet_selectors.post_context(viewer=request.user, post_id=path_id(status_id))
        renderer = StatusRenderer(viewer=request.user, request=request)
        rendered = {s["id"]: s for s in renderer.render([*thread.ancestors, *thread.descendants])}
        return Response(
            {
                "ancestors": [
                    rendered[str(p.id)] for p in thread.ancestors if str(p.id) in rendered
                ],
                "descendants": [
                    rendered[str(p.id)] for p in thread.descendants if str(p.id) in rendered
                ],
            }
        )


class _StatusAction(MastodonView):
    """A favourite/reblog/bookmark write, answered with the status as it is now."""

    action = staticmethod(lambda *, user, post_id: None)

    def post(self, request, status_id: str):
        post_id = path_id(status_id)
        type(self).action(user=request.user, post_id=post_id)
        return Response(
            _render(request, tweet_selectors.post_get_visible(viewer=request.user, post_id=post_id))
        )


class FavouriteView(_StatusAction):
    required_scopes = {"POST": "write:favourites"}
    action = staticmethod(tweet_services.like_create)


class UnfavouriteView(_StatusAction):
    required_scopes = {"POST": "write:favourites"}
    action = staticmethod(tweet_services.like_delete)


class BookmarkView(_StatusAction):
    required_scopes = {"POST": "write:bookmarks"}
    action = staticmethod(tweet_services.bookmark_create)


class UnbookmarkView(_StatusAction):
    required_scopes = {"POST": "write:bookmarks"}
    action = staticmethod(tweet_services.bookmark_delete)


class UnreblogView(_StatusAction):
    required_scopes = {"POST": "write:statuses"}
    action = staticmethod(tweet_services.retweet_delete)


class ReblogView(MastodonView):
    """Answers the reblog (its own id, the original in `reblog`), as Mastodon does."""

    required_scopes = {"POST": "write:statuses"}

    def post(self, request, status_id: str):
        _check_visibility(request)
        result = tweet_services.retweet_create(user=request.user, post_id=path_id(status_id))
        retweet = result.value
        post = tweet_selectors.post_get_visible(viewer=request.user, post_id=retweet.post_id)
        item = StatusItem(
            id=retweet.id, post=post, reblogger=request.user, created_at=retweet.created_at
        )
        return Response(
            StatusRenderer(viewer=request.user, request=request).render_items([item])[0]
        )


def _users_page(request, queryset):
    page = Page.from_request(request, default=40, maximum=80)
    rows, more = page.finish(page.apply(queryset))
    accounts = entities.Accounts(request=request)
    return paged(
        Response([accounts(r.user) for r in rows]), request, page, [r.id for r in rows], more=more
    )


class FavouritedByView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request, status_id: str):
        return _users_page(
            request, tweet_selectors.post_likes(viewer=request.user, post_id=path_id(status_id))
        )


class RebloggedByView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request, status_id: str):
        return _users_page(
            request, tweet_selectors.post_retweets(viewer=request.user, post_id=path_id(status_id))
        )
