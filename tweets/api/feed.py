"""GET /api/v1/feed: the signed-in user's home timeline (tweets.feed, docs/feed.md)."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from core.fields import IdField
from core.pagination import KeysetPagination
from tweets.api.serializers import TimelineEntrySerializer
from tweets.feed import hydrate, pages
from tweets.feed.selectors import home_page

MAX_QUERY = 100


class FeedQuerySerializer(serializers.Serializer):
    # The schema's query parameters (and the attrs of their 400s) come from here.
    since_id = IdField(
        required=False,
        help_text=(
            "Only entries newer than this entry id (a client resyncing after a live event). "
            "Pages still come newest first; `next` goes down to since_id, never below."
        ),
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY,
        help_text=(
            f"Only entries whose post text matches this (full-text, as post search: "
            f'words are stemmed, "phrases", -exclusions, or; at most {MAX_QUERY} '
            f"characters) or whose author's username starts with it. Paginates like the feed."
        ),
    )


# FeedQuerySerializer's fields, read from the class (building one is what costs).
FEED_PARAMS = tuple(FeedQuerySerializer._declared_fields)


def feed_params(query_params) -> dict:
    """The validated `since_id` and `q` (400 when invalid). Most reads carry neither,
    and building the serializer to find that out cost 90 µs a read."""
    if not any(name in query_params for name in FEED_PARAMS):
        return {}
    params = FeedQuerySerializer(data=query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


@extend_schema_view(
    get=extend_schema(
        tags=["feed"],
        summary="Your home timeline: your and your followees' posts and retweets, newest first",
        description=(
            "Entries are posts or retweets (`type`); a retweet names who retweeted "
            "(`retweeted_by`) and embeds the original. Replies appear when you follow both "
            "their author and the author they reply to."
        ),
        parameters=[FeedQuerySerializer],
    )
)
class FeedView(ListAPIView):
    pagination_class = KeysetPagination
    serializer_class = TimelineEntrySerializer

    def list(self, request, *args, **kwargs):
        params = feed_params(request.query_params)
        paginator = self.paginator
        window = paginator.get_window(request)
        found = home_page(
            viewer=request.user,
            window=window,
            since_id=params.get("since_id"),
            q=params.get("q", "").strip(),
            # The rendering's other inputs: absolute URLs (host, scheme), the media type.
            variant=f"{request.accepted_media_type} {request.build_absolute_uri()}",
        )
        if found.body is not None:  # as rendered before, and nothing on it changed since
            return HttpResponse(found.body, content_type=request.accepted_media_type)
        rows = paginator.paginate_rows(found.rows)
        data = hydrate.render_entries(viewer=request.user, rows=rows, request=request)
        if found.slot is not None:
            dependencies = pages.dependencies(
                viewer_id=request.user.pk, rows=found.rows, entries=data
            )
            if dependencies is not None:
                self.keep = (found.slot, dependencies)
        return paginator.get_paginated_response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        keep = getattr(self, "keep", None)
        if keep is not None and response.status_code == 200:
            slot, dependencies = keep
            pages.keep(slot, dependencies=dependencies, body=response.render().content)
        return response
