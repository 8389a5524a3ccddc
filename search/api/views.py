"""Search API: parse input, call one selector, render output (docs/search.md)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rendering import user_row
from core.pagination import BoundedPagination, KeysetPagination
from search import selectors
from search.api import serializers as s
from search.api.pagination import SearchPagination
from search.query import parse_post_query
from tweets.rendering import render_posts
from tweets.schemas import PostSerializer

TAGS = ["search"]
OPERATOR_ERRORS = {"get": {"q": {"invalid_operator"}}}  # core.schema


def _query(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _user_rows(users, request) -> list[dict]:
    return [user_row(user, request=request, following=user.followed) for user in users]


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Search posts: full text, most relevant first (or latest)",
        description=(
            'Web-search syntax: words (English stemming), "exact phrase", -exclude, `or`. '
            "Operators: `from:username`, `has:media` (or the `from` and `has` parameters). "
            "Only posts you may see. On the embedded SQLite mode: a plain case-insensitive "
            "substring match, newest first (docs/search.md)."
        ),
        parameters=[s.PostSearchQuerySerializer],
    )
)
class PostSearchView(ListAPIView):
    pagination_class = SearchPagination
    serializer_class = PostSerializer
    validation_errors = OPERATOR_ERRORS

    def list(self, request, *args, **kwargs):
        params = _query(s.PostSearchQuerySerializer, request)
        query = parse_post_query(
            params["q"], from_username=params.get("from"), has_media=params.get("has") == "media"
        )
        paginator = self.paginator
        cursor, limit = paginator.read(request)
        posts = selectors.post_search(viewer=request.user, query=query)
        if selectors.ranks_by_relevance(query, params["sort"]):
            rows = selectors.ranked(posts, text=query.text, after=cursor, n=limit + 1)
        else:
            if cursor is not None:
                posts = posts.filter(id__lt=cursor.id)
            rows = list(posts.order_by("-id")[: limit + 1])
        page = paginator.paginate_rows(rows)
        return paginator.get_paginated_response(
            render_posts(viewer=request.user, posts=page, request=request)
        )


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Search users by username or display name (typos forgiven)",
        description=(
            'Trigram similarity on PostgreSQL ("jonh" finds "john"); names starting '
            "with `q` first, then people you follow, then the most similar. At most "
            "`limit`, in one page. Embedded SQLite mode: a substring match."
        ),
        parameters=[s.UserSearchQuerySerializer],
    )
)
class UserSearchView(ListAPIView):
    pagination_class = BoundedPagination
    serializer_class = s.UserResultSerializer

    def list(self, request, *args, **kwargs):
        params = _query(s.UserSearchQuerySerializer, request)
        users = selectors.user_search(viewer=request.user, q=params["q"], limit=params["limit"])
        return self.get_paginated_response(_user_rows(users, request))


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Complete an @-mention: users whose name starts with q",
        description="People you follow first, then the most followed. One indexed query.",
        parameters=[s.AutocompleteQuerySerializer],
    )
)
class UserAutocompleteView(ListAPIView):
    pagination_class = BoundedPagination
    serializer_class = s.UserResultSerializer

    def list(self, request, *args, **kwargs):
        params = _query(s.AutocompleteQuerySerializer, request)
        users = selectors.user_autocomplete(
            viewer=request.user, q=params["q"], limit=params["limit"]
        )
        return self.get_paginated_response(_user_rows(users, request))


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Posts with a hashtag, newest first",
        description="The tag without `#`, any case (it is normalised). Only posts you may see.",
    )
)
class HashtagPostsView(ListAPIView):
    pagination_class = KeysetPagination
    serializer_class = PostSerializer

    def list(self, request, *args, **kwargs):
        posts = selectors.hashtag_posts(viewer=request.user, tag=kwargs["tag"])
        page = self.paginate_queryset(posts)
        return self.get_paginated_response(
            render_posts(viewer=request.user, posts=page, request=request)
        )


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Trending hashtags: used by many more accounts than usual",
        description=(
            "Tags whose number of distinct authors in the window (last hour or 24 hours) "
            "is high against their rate over the last 7 days; one account posting a tag "
            f"many times counts once, and a tag needs {selectors.TRENDS_MIN_AUTHORS} "
            "authors at least. Refreshed every minute."
        ),
        parameters=[s.TrendsQuerySerializer],
    )
)
class TrendsView(ListAPIView):
    pagination_class = BoundedPagination
    serializer_class = s.TrendSerializer

    def list(self, request, *args, **kwargs):
        params = _query(s.TrendsQuerySerializer, request)
        found = selectors.trends(window=params["window"])
        data = [{"tag": t.tag, "authors": t.authors, "score": round(t.score, 3)} for t in found]
        return self.get_paginated_response(data)


class SearchView(APIView):
    validation_errors = OPERATOR_ERRORS

    @extend_schema(
        tags=TAGS,
        summary="Search posts, users and hashtags at once (or one kind: type)",
        description=(
            "The first `limit` of each kind asked for, as the per-kind searches find them "
            "(posts by relevance); kinds not asked for are empty lists. For more, page "
            "through /search/posts or /search/users."
        ),
        parameters=[s.SearchQuerySerializer],
        responses=s.SearchResultsSerializer,
    )
    def get(self, request):
        params = _query(s.SearchQuerySerializer, request)
        kinds = [params["type"]] if params.get("type") else list(s.TYPES)
        q, limit = params["q"], params["limit"]
        data: dict[str, list] = {"posts": [], "users": [], "hashtags": []}
        if "posts" in kinds:
            query = parse_post_query(q)
            posts = selectors.post_search(viewer=request.user, query=query)
            if selectors.ranks_by_relevance(query, "relevance"):
                rows = selectors.ranked(posts, text=query.text, after=None, n=limit)
            else:
                rows = list(posts.order_by("-id")[:limit])
            data["posts"] = render_posts(viewer=request.user, posts=rows, request=request)
        if "users" in kinds:
            users = selectors.user_search(viewer=request.user, q=q, limit=limit)
            data["users"] = _user_rows(users, request)
        if "hashtags" in kinds:
            data["hashtags"] = [{"tag": t.name} for t in selectors.hashtag_search(q=q, limit=limit)]
        return Response(data)
