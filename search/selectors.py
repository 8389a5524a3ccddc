"""Reads of search: posts by text, users by name, hashtags, trends.

Visibility is never decided here: posts come from `tweets.selectors.visible_posts`
(deleted, private, blocked, suspended and deactivated authors are filtered by
the posts app's one rule at query time, so a deleted or hidden post disappears
at once), users from `relationships.selectors.users_visible_to`.

PostgreSQL uses the indexes of migration 0002 (tweets.textsearch for posts,
pg_trgm for users); the embedded SQLite mode falls back to `icontains`
(docs/search.md).
"""

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Lower, TruncDay, TruncHour
from django.utils import timezone

from accounts.models import User
from accounts.viewer import Viewer, viewer_id
from core.degrade import cache_breaker
from relationships.models import Follow
from relationships.selectors import users_visible_to
from search.models import Hashtag, PostHashtag
from search.query import PostQuery, has_media_q
from tweets.hashtags import normalize_tag
from tweets.models import Post, PostQuerySet
from tweets.selectors import visible_posts
from tweets.textsearch import text_rank, text_search_q, uses_fts

Sort = Literal["relevance", "latest"]
USER_RESULTS_MAX = 50
AUTOCOMPLETE_MAX = 10
HASHTAG_RESULTS_MAX = 20

# --- posts -----------------------------------------------------------------------


def post_search(*, viewer: Viewer, query: PostQuery) -> PostQuerySet:
    """Visible posts matching `query` (text, from:, has:media), unordered: the
    caller orders by `ranked` (relevance) or by id (latest). An empty query
    matches nothing."""
    if query.is_empty:
        return Post.objects.none()
    posts = visible_posts(viewer=viewer)
    if query.text:
        posts = posts.filter(text_search_q(query.text))
    if query.from_username:
        posts = posts.filter(author_id__in=_user_ids_named(query.from_username))
    if query.has_media:
        posts = posts.filter(has_media_q())
    return posts


def _user_ids_named(username: str) -> QuerySet[User, int]:
    """The id of the account named so (case-insensitive, the unique lower(username) index)."""
    ids: QuerySet[User, int] = (
        User.objects.annotate(name=Lower("username"))
        .filter(name=username.lower())
        .values_list("pk", flat=True)
    )
    return ids


def ranks_by_relevance(query: PostQuery, sort: Sort) -> bool:
    """Relevance needs words to rank and the full-text index; otherwise newest first."""
    return sort == "relevance" and bool(query.text) and uses_fts()


@dataclass(frozen=True)
class RankCursor:
    """Where a relevance-ordered page ended: the last post's rank and id."""

    rank: float
    id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"r{self.rank!r}:{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "RankCursor":
        """ValueError if it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValueError("not a cursor") from None
        if not raw.startswith("r") or ":" not in raw:
            raise ValueError("not a cursor")
        rank_text, _, id_text = raw[1:].partition(":")
        rank = float(rank_text)  # ValueError for junk
        if not (0.0 <= rank < 1e9) or not id_text.isdigit() or int(id_text) >= 2**63:
            raise ValueError("not a cursor")
        return cls(rank=rank, id=int(id_text))


def ranked(posts: PostQuerySet, *, text: str, after: RankCursor | None, n: int) -> list[Post]:
    """`posts` by relevance to `text` (ts_rank_cd), then newest first: n at most,
    after the cursor's position (keyset over (rank, id): stable while posts arrive).
    Every match is ranked: cheap for specific queries, 150-400 ms for a single very
    common word on a million posts (docs/search.md, "Figures")."""
    rank = text_rank(text)
    if after is not None:
        # the rank expression itself, not an alias: filter before annotate
        posts = posts.alias(rank=rank).filter(
            Q(rank__lt=after.rank) | Q(rank=after.rank, id__lt=after.id)
        )
    return list(posts.annotate(rank=rank).order_by("-rank", "-id")[:n])


# --- users -----------------------------------------------------------------------


def _followed_by(viewer: Viewer) -> Exists | Value:
    me = viewer_id(viewer)
    if me is None:
        return Value(False, output_field=BooleanField())
    return Exists(Follow.objects.filter(follower_id=me, followee_id=OuterRef("pk")))


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def user_search(*, viewer: Viewer, q: str, limit: int = USER_RESULTS_MAX) -> list[User]:
    """Users whose username or display name is like `q`: on PostgreSQL by trigram
    similarity (pg_trgm `%`, so "jonh" finds "john") or containing it; names
    starting with it first, then people the viewer follows, then the most
    similar. One query."""
    name = q.strip().lstrip("@").lower()
    if not name:
        return []
    users = users_visible_to(viewer=viewer).annotate(followed=_followed_by(viewer))
    table = User._meta.db_table
    if uses_fts():
        prefix = _like_prefix(name)
        contains = "%" + prefix
        # Column names are constants; the text is a parameter (%% is pg_trgm's `%`).
        # Similar (a typo) or containing it; both served by the trigram indexes.
        users = users.annotate(
            matches=RawSQL(  # noqa: S611
                f'(lower("{table}"."username") %% %s OR lower("{table}"."display_name") %% %s'
                f' OR lower("{table}"."username") LIKE %s'
                f' OR lower("{table}"."display_name") LIKE %s)',
                (name, name, contains, contains),
                output_field=BooleanField(),
            ),
            is_prefix=RawSQL(  # noqa: S611
                f'(lower("{table}"."username") LIKE %s OR lower("{table}"."display_name") LIKE %s)',
                (prefix, prefix),
                output_field=BooleanField(),
            ),
            similarity=RawSQL(  # noqa: S611
                f'greatest(similarity(lower("{table}"."username"), %s),'
                f' similarity(lower("{table}"."display_name"), %s))',
                (name, name),
                output_field=FloatField(),
            ),
        ).filter(matches=True)
    else:
        users = users.filter(
            Q(username__icontains=name) | Q(display_name__icontains=name)
        ).annotate(
            is_prefix=Case(
                When(Q(username__istartswith=name) | Q(display_name__istartswith=name), then=True),
                default=False,
                output_field=BooleanField(),
            ),
            similarity=Value(0.0, output_field=FloatField()),
        )
    return list(
        users.order_by(F("is_prefix").desc(), F("followed").desc(), F("similarity").desc(), "pk")[
            :limit
        ]
    )


def user_autocomplete(*, viewer: Viewer, q: str, limit: int = AUTOCOMPLETE_MAX) -> list[User]:
    """@-mention completion: usernames or display names starting with `q`, people
    the viewer follows first, then the most followed. One query (the trigram
    indexes serve the anchored LIKE on PostgreSQL)."""
    name = q.strip().lstrip("@").lower()
    if not name:
        return []
    users = (
        users_visible_to(viewer=viewer)
        .annotate(uname=Lower("username"), dname=Lower("display_name"))
        .filter(Q(uname__startswith=name) | Q(dname__startswith=name))
        .annotate(followed=_followed_by(viewer))
    )
    return list(users.order_by(F("followed").desc(), "-followers_count", "pk")[:limit])


# --- hashtags --------------------------------------------------------------------


def hashtag_search(*, q: str, limit: int = HASHTAG_RESULTS_MAX) -> list[Hashtag]:
    """Tags starting with `q` (without `#`, normalised), shortest first. One query."""
    name = normalize_tag(q.strip().lstrip("#"))
    if not name:
        return []
    return list(
        Hashtag.objects.filter(name__startswith=name).order_by(Length("name"), "name")[:limit]
    )


def hashtag_posts(*, viewer: Viewer, tag: str) -> PostQuerySet:
    """Visible posts using `tag` (any spelling: it is normalised), for keyset
    pagination newest first by id (the (hashtag, post) unique index)."""
    name = normalize_tag(tag.lstrip("#"))
    linked = PostHashtag.objects.filter(hashtag__name=name).values("post_id")
    return visible_posts(viewer=viewer).filter(pk__in=linked)


# --- trends ----------------------------------------------------------------------

TRENDS_CACHE_KEY = "search:trends:v1"
# The periodic job (search.tasks.refresh_trends, every TRENDS_REFRESH_SECONDS)
# stores the trends for this long; a read that finds none computes and stores them.
TRENDS_REFRESH_SECONDS = 60
TRENDS_CACHE_SECONDS = 120
TRENDS_MAX = 20
# A tag trends with this many distinct authors in the window at least: one
# account (or two) posting a tag a thousand times cannot trend it.
TRENDS_MIN_AUTHORS = 3
BASELINE = timedelta(days=7)
WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


@dataclass(frozen=True)
class Trend:
    tag: str
    authors: int  # distinct authors who used the tag in the window
    score: float  # how far above its usual rate (see trends_compute)


def trends_compute(*, now: datetime) -> dict[str, list[Trend]]:
    """Trending tags per window ("1h", "24h"), best first. Three queries.

    Counted in distinct authors, never posts: one account posting a tag a
    thousand times counts once, and a tag needs TRENDS_MIN_AUTHORS in the window.
    For each candidate (enough authors in the last 24 hours), a = its distinct
    authors in the window, e = its usual number per window of that length: the
    distinct authors of each hour (each day, for "24h") of the last 7 days,
    summed and divided by the number of hours (days). Score = (a - e) / sqrt(e + 1):
    a tag the same crowd uses every hour scores about 0, a new one many people
    take up scores high; only scores above 0 trend.
    """
    links = PostHashtag.objects.filter(created_at__lte=now)
    current = (
        # Hidden posts and suspended authors count for nothing: a campaign the
        # moderators stopped must not trend on.
        links.filter(created_at__gt=now - WINDOWS["24h"])
        .filter(post__hidden_at__isnull=True, author__is_active=True)
        .values("hashtag_id", "hashtag__name")
        .annotate(
            w24h=Count("author_id", distinct=True),
            w1h=Count("author_id", distinct=True, filter=Q(created_at__gt=now - WINDOWS["1h"])),
        )
        .filter(w24h__gte=TRENDS_MIN_AUTHORS)
    )
    candidates = {row["hashtag_id"]: row for row in current}
    found: dict[str, list[Trend]] = {key: [] for key in WINDOWS}
    if not candidates:
        return found
    week = links.filter(hashtag_id__in=list(candidates), created_at__gt=now - BASELINE)
    for key, trunc in (("1h", TruncHour), ("24h", TruncDay)):
        buckets = BASELINE / WINDOWS[key]
        usual: dict[int, int] = defaultdict(int)
        per_bucket = (
            week.annotate(bucket=trunc("created_at"))
            .values("hashtag_id", "bucket")
            .annotate(n=Count("author_id", distinct=True))
            .values_list("hashtag_id", "n")
        )
        for tag_id, n in per_bucket:
            usual[tag_id] += n
        for tag_id, row in candidates.items():
            authors: int = row["w1h"] if key == "1h" else row["w24h"]
            if authors < TRENDS_MIN_AUTHORS:
                continue
            expected = usual[tag_id] / buckets
            score = (authors - expected) / (expected + 1) ** 0.5
            if score > 0:
                found[key].append(Trend(tag=row["hashtag__name"], authors=authors, score=score))
    for rows in found.values():
        rows.sort(key=lambda t: (-t.score, -t.authors, t.tag))
        del rows[TRENDS_MAX:]
    return found


def trends_store(*, now: datetime, seconds: int = TRENDS_CACHE_SECONDS) -> dict[str, list[Trend]]:
    """Compute the trends and keep them in the cache (Redis, or local memory in the
    embedded mode) for `seconds`."""
    found = trends_compute(now=now)
    cache_breaker.call(
        "trends not cached", lambda: cache.set(TRENDS_CACHE_KEY, found, seconds), lambda: None
    )
    return found


def trends(*, window: str, now: datetime | None = None) -> list[Trend]:
    """The current trends of a window, as last computed (at most a minute old:
    the periodic job refreshes them; without it, the first read after they
    expire computes them)."""
    found: dict[str, list[Trend]] | None = cache_breaker.call(
        "trends read from SQL", lambda: cache.get(TRENDS_CACHE_KEY), lambda: None
    )
    if found is None:
        found = trends_store(now=now or timezone.now(), seconds=TRENDS_REFRESH_SECONDS)
    return found.get(window, [])


TRENDING_POSTS_MAX = 40


def trending_posts(
    *, viewer: Viewer, window: str = "24h", limit: int = TRENDING_POSTS_MAX, offset: int = 0
) -> list[Post]:
    """The posts of the current trending tags (`trends`) the viewer may see, from the
    tags' window, most liked first (then newest). Two queries (the trends come from
    the cache)."""
    names = [trend.tag for trend in trends(window=window)]
    if not names:
        return []
    since = timezone.now() - WINDOWS[window]
    linked = PostHashtag.objects.filter(hashtag__name__in=names, created_at__gt=since).values(
        "post_id"
    )
    posts = visible_posts(viewer=viewer).filter(pk__in=linked)
    return list(posts.order_by("-like_count", "-id")[offset : offset + limit])
