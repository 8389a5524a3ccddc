"""`GET /api/v2/search` (accounts, statuses, hashtags) and the trends
(`/api/v1/trends/tags` — also `/api/v1/trends` —, `/api/v1/trends/statuses`,
`/api/v1/trends/links`: always empty, Warble has no link cards).

Everything is the search app's: `user_search` (typos forgiven, the viewer's
follows first), `post_search` (full text, `from:`, `has:media`, only posts the
viewer may see), `hashtag_search`, `trends` and `trending_posts`. Statuses are
newest first and page by `max_id` / `min_id` (Link header) or `offset`;
accounts and hashtags by `offset`. `resolve` is accepted and ignored (Warble
does not federate); `following=true` keeps the accounts the viewer follows;
`account_id` keeps the statuses of one account.
"""

from datetime import UTC, datetime

from rest_framework import serializers
from rest_framework.response import Response

from mastodon_api.entities import Accounts, StatusRenderer, tag
from mastodon_api.paging import Page, paged
from mastodon_api.views import MastodonView, PublicRead
from search import selectors
from search.query import parse_post_query

TYPES = ("accounts", "statuses", "hashtags")
MAX_OFFSET = 10_000


class SearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=500, trim_whitespace=True)
    type = serializers.ChoiceField(choices=TYPES, required=False)
    resolve = serializers.BooleanField(required=False)
    following = serializers.BooleanField(required=False, default=False)
    account_id = serializers.RegexField(r"^\d{1,19}$", required=False)
    exclude_unreviewed = serializers.BooleanField(required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, default=0)


class OffsetInput(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, default=0)


def _accounts(request, q: str, *, limit: int, offset: int, following: bool) -> list[dict]:
    users = selectors.user_search(viewer=request.user, q=q, limit=offset + limit)
    if following:
        users = [u for u in users if u.followed]
    render = Accounts(request=request)
    return [render(user) for user in users[offset : offset + limit]]


def _hashtags(request, q: str, *, limit: int, offset: int) -> list[dict]:
    found = selectors.hashtag_search(q=q, limit=offset + limit)
    return [tag(h.name, request=request) for h in found[offset : offset + limit]]


def _status_rows(page: Page, posts, offset: int):
    """The statuses of the page (limit + 1 at most, read order: Page.finish)."""
    if not offset or page.ascending:
        return page.apply(posts, "id")
    if page.max_id is not None:
        posts = posts.filter(id__lt=page.max_id)
    if page.since_id is not None:
        posts = posts.filter(id__gt=page.since_id)
    return posts.order_by("-id")[offset : offset + page.limit + 1]


class SearchView(MastodonView):
    required_scopes = {"GET": "read:search"}

    def get(self, request):
        data = SearchInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        page = Page.from_request(request)
        kind, q, offset = params.get("type"), params["q"], params["offset"]
        result: dict[str, list] = {"accounts": [], "statuses": [], "hashtags": []}
        if kind in (None, "accounts"):
            result["accounts"] = _accounts(
                request, q, limit=page.limit, offset=offset, following=params["following"]
            )
        if kind in (None, "hashtags"):
            result["hashtags"] = _hashtags(request, q, limit=page.limit, offset=offset)
        ids: list[int] = []
        more = False
        if kind in (None, "statuses"):
            posts = selectors.post_search(viewer=request.user, query=parse_post_query(q))
            if "account_id" in params:
                posts = posts.filter(author_id=int(params["account_id"]))
            found, more = page.finish(_status_rows(page, posts, offset))
            ids = [p.id for p in found]
            result["statuses"] = StatusRenderer(viewer=request.user, request=request).render(found)
        response = Response(result)
        if kind == "statuses":
            paged(response, request, page, ids, more=more)
        return response


# --- trends ----------------------------------------------------------------------


def _today() -> str:
    now = datetime.now(tz=UTC)
    return str(int(datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp()))


class TrendingTagsView(MastodonView):
    """Tags of the last 24 hours (search.selectors.trends), best first. Each Tag's
    `history` holds today: the distinct accounts that used it (Warble counts
    authors, never posts: uses = accounts)."""

    permission_classes = [PublicRead]

    def get(self, request):
        data = OffsetInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        offset = data.validated_data["offset"]
        page = Page.from_request(request, default=10, maximum=20)
        today = _today()
        found = selectors.trends(window="24h")[offset : offset + page.limit]
        return Response(
            [
                {
                    **tag(t.tag, request=request),
                    "history": [{"day": today, "accounts": str(t.authors), "uses": str(t.authors)}],
                }
                for t in found
            ]
        )


class TrendingStatusesView(MastodonView):
    """Posts of the trending tags, most liked first (search.selectors.trending_posts)."""

    permission_classes = [PublicRead]

    def get(self, request):
        data = OffsetInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        page = Page.from_request(request)
        posts = selectors.trending_posts(
            viewer=request.user, limit=page.limit, offset=data.validated_data["offset"]
        )
        return Response(StatusRenderer(viewer=request.user, request=request).render(posts))


class TrendingLinksView(MastodonView):
    """Warble has no link previews: nothing ever trends here."""

    permission_classes = [PublicRead]

    def get(self, request):
        return Response([])
