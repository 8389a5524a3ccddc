"""Which entries are in whose home feed: the one rule, as query filters.

An entry is a post or a retweet (one id space). For viewer V, with
F = the accounts V follows, plus V:

- *candidate* (what fan-out pushes and a rebuild writes; relationship-only, so it
  never changes with mutes, blocks or visibility, which can be undone):
  a post not deleted whose author is in F and which is not a reply, or is V's
  own, or replies to a post whose author is in F (the "follows both" rule of the
  large networks); a retweet whose retweeter is in F, of a post not deleted.
- *in the feed* (what a reader sees): a candidate the viewer may see
  (`Post.objects.visible_to`, `Retweet.objects.visible_to`: blocks, private
  accounts, deactivated authors) whose author, and for a retweet whose
  retweeter too, the viewer does not mute.

The SQL pull feed is "in the feed", ordered by id; the Redis read path filters
the ids it reads from Redis through the same filters. Both therefore agree
exactly, which tests/tweets/feed/test_property.py checks.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from accounts.rendering import USER_SUMMARY_FIELDS
from accounts.viewer import SignedInViewer
from core.instances import loaded
from relationships.models import Follow
from relationships.visibility import follows_q, muted_user_ids_q
from tweets.feed import merged, states
from tweets.feed.compiled import Compiled, run_template
from tweets.models import Post, Retweet, post_visibility_q
from tweets.textsearch import text_search_q

# Whose feed: a signed-in reader, loaded or known by id (the compiled queries).
Reader = User | SignedInViewer


@dataclass(frozen=True)
class EntryRow:
    """A feed entry before hydration: what pagination and rendering need."""

    id: int
    type: str  # "post" | "retweet"
    post_id: int
    created_at: datetime
    retweeted_by: User | None = None
    # The post's state (tweets.feed.states), when the query that found the row read it.
    post: Any = field(default=None, compare=False, repr=False)


def _followed(viewer_id: int):
    return Follow.objects.filter(follower_id=viewer_id).values("followee_id")


def followed_ids(viewer_id: int) -> list[int]:
    return list(_followed(viewer_id).values_list("followee_id", flat=True))


def _in_circle(field: str, viewer_id: int, *, probe: bool = False) -> Q:
    """`field` is the viewer or someone they follow.

    Two SQL forms of the same rule. An IN subquery (the default) lets PostgreSQL
    start from the follows when it scans for entries (the pull feed). `probe`:
    an EXISTS per row, one index probe of the (follower, followee) pair, for the
    queries restricted to a few known ids (entries_among), where the IN form
    hashes all of the viewer's followees first (1.8 ms for a reader following
    5,000, against 0.6 ms for one following 10). A Probe: as a plain EXISTS the
    prepared statements' generic plans hashed them all the same.
    """
    if probe:
        followed = follows_q(viewer_id=viewer_id, user_field=field, probe=True)
        return Q(**{field: viewer_id}) | followed
    return Q(**{field: viewer_id}) | Q(**{f"{field}__in": _followed(viewer_id)})


def post_candidate_q(viewer_id: int, *, probe: bool = False) -> Q:
    replies_ok = (
        Q(reply_to_id__isnull=True)
        | Q(author_id=viewer_id)
        | _in_circle("reply_to__author_id", viewer_id, probe=probe)
    )
    return Q(deleted_at__isnull=True) & _in_circle("author_id", viewer_id, probe=probe) & replies_ok


def retweet_candidate_q(viewer_id: int, *, probe: bool = False) -> Q:
    return Q(post__deleted_at__isnull=True) & _in_circle("user_id", viewer_id, probe=probe)


def feed_posts(viewer: Reader, *, probe: bool = False):
    """Posts in the viewer's feed (a queryset, unordered); `probe`: see _in_circle (it
    also makes the visibility rule's follow and block checks probes)."""
    return (
        Post.objects.filter(post_candidate_q(viewer.pk, probe=probe))
        .filter(post_visibility_q(viewer=viewer, probe=probe))
        .exclude(muted_user_ids_q(viewer=viewer, author_field="author"))
    )


def feed_retweets(viewer: Reader, *, probe: bool = False):
    return (
        Retweet.objects.visible_to(viewer, probe=probe)
        .filter(retweet_candidate_q(viewer.pk, probe=probe))
        .exclude(muted_user_ids_q(viewer=viewer, author_field="user"))
        .exclude(muted_user_ids_q(viewer=viewer, author_field="post__author"))
    )


def search_filter(posts, retweets, q: str):
    """`q`: the post's text matches it (tweets.textsearch: the full-text index on
    PostgreSQL, the same match as post search) or its author's username starts
    with it (case-insensitive, the trigram index on lower(username))."""
    name = q.lstrip("@").lower()
    authors = User.objects.annotate(name=Lower("username")).filter(name__startswith=name)
    match = text_search_q(q)
    if name:
        match |= Q(author_id__in=authors.values("pk"))
    return (
        posts.filter(match),
        retweets.filter(post_id__in=Post.objects.filter(match).values("pk")),
    )


_USER_SUMMARY = USER_SUMMARY_FIELDS


def rows_of(post_rows, retweets) -> list[EntryRow]:
    """EntryRows from `(id, created_at)` post rows and Retweet instances (user loaded)."""
    rows = [EntryRow(id=i, type="post", post_id=i, created_at=at) for i, at in post_rows]
    rows += [
        EntryRow(
            id=r.id, type="retweet", post_id=r.post_id, created_at=r.created_at, retweeted_by=r.user
        )
        for r in retweets
    ]
    return rows


def retweet_rows(retweets):
    return retweets.select_related("user").only(
        "id", "post_id", "created_at", *(f"user__{name}" for name in _USER_SUMMARY)
    )


def sliced(queryset, *, lo: int, hi: int | None, ascending: bool, n: int):
    """Rows with lo < id < hi (hi None: no upper bound), in window order, at most n."""
    queryset = queryset.filter(id__gt=lo)
    if hi is not None:
        queryset = queryset.filter(id__lt=hi)
    return queryset.order_by("id" if ascending else "-id")[:n]


def sql_entries(
    viewer: Reader,
    *,
    lo: int = 0,
    hi: int | None = None,
    ascending: bool = False,
    n: int,
    q: str = "",
) -> list[EntryRow]:
    """The pull feed: at most n entries with lo < id < hi, in window order. Newest
    first on PostgreSQL (no `q`), one statement: candidates, then the compiled rule
    over them, see `_pulled_entries`. Building and compiling the scan's querysets
    per request cost more than running them; elsewhere two queries."""
    if not ascending and not q and connection.vendor == "postgresql":
        return _pulled_entries(viewer, lo=lo, hi=hi, n=n)
    return _scanned_entries(viewer, lo=lo, hi=hi, ascending=ascending, n=n, q=q)


def _scanned_entries(
    viewer: Reader,
    *,
    lo: int,
    hi: int | None,
    ascending: bool,
    n: int,
    q: str,
    probe: bool = False,
) -> list[EntryRow]:
    posts, retweets = feed_posts(viewer, probe=probe), feed_retweets(viewer, probe=probe)
    if q:
        posts, retweets = search_filter(posts, retweets, q)
    bounds = {"lo": lo, "hi": hi, "ascending": ascending, "n": n}
    rows = rows_of(
        sliced(posts, **bounds).values_list("id", "created_at"),
        sliced(retweet_rows(retweets), **bounds),
    )
    rows.sort(key=lambda row: row.id, reverse=not ascending)
    return rows[:n]


_POSTS_AMONG = Compiled(
    Post,
    lambda viewer, ids_q: (
        feed_posts(viewer, probe=True).filter(ids_q).values_list("id", "created_at")
    ),
)
_RETWEETS_AMONG = Compiled(
    Retweet,
    lambda viewer, ids_q: (
        feed_retweets(viewer, probe=True)
        .filter(ids_q)
        .values_list("id", "post_id", "created_at", *(f"user__{name}" for name in _USER_SUMMARY))
    ),
)


# The same, over the candidates of the pull feed's statement (`_pull_template`).
_POSTS_PULLED = Compiled(Post, _POSTS_AMONG.build, ids_in="SELECT id FROM candidates")
_RETWEETS_PULLED = Compiled(Retweet, _RETWEETS_AMONG.build, ids_in="SELECT id FROM candidates")


def _page_parts(
    posts: Compiled, retweets: Compiled, merged: tuple[str, list] = ("", [])
) -> tuple[str, str, list]:
    """The rule over some entry ids as SQL parts: the CTEs `among` (the posts' rows
    padded to the retweets' columns: the retweeted post and the retweeter are NULL)
    and `feed_page` (the newest `limit` of them), then the select list and FROM of
    the page's rows, each joined to its post's state (after the `merged` column, if
    any); and the parameter slots."""
    merged_sql, merged_slots = merged
    posts_sql, posts_slots = posts.template()
    retweets_sql, retweets_slots = retweets.template()
    states_sql, states_slots = states.PAGE_STATES.template()
    user = [f"u{i}" for i in range(len(_USER_SUMMARY))]
    no_user = ", ".join(["NULL"] * len(_USER_SUMMARY))
    ctes = (
        f"among (id, retweeted, created_at, {', '.join(user)}) AS ("  # noqa: S608
        f"SELECT p.id, NULL::bigint, p.created_at, {no_user} FROM ({posts_sql}) p"
        f" UNION ALL SELECT * FROM ({retweets_sql}) r),"
        " feed_page AS (SELECT *, COALESCE(retweeted, id) AS post_id FROM among"
        " ORDER BY id DESC LIMIT %s)"
    )
    page = (
        "feed_page.id AS entry_id, feed_page.retweeted, feed_page.created_at,"
        f" {', '.join(user)}{merged_sql}, s.* FROM feed_page"
        f" JOIN ({states_sql}) s ON s.id = feed_page.post_id"
    )
    return ctes, page, [*posts_slots, *retweets_slots, "limit", *merged_slots, *states_slots]


@functools.cache
def _among_template(merged_key: merged.Key | None = None) -> tuple[str, list]:
    """entries_among as one statement (one round trip): `_page_parts` over the ids
    parameter. `merged_key`: each row also carries the reader's merged authors now
    (tweets.feed.merged; computed once per statement)."""
    authors: tuple[str, list] = ("", [])
    if merged_key is not None:
        merged_sql, merged_slots = merged.query(merged_key).template()
        authors = (f", ARRAY({merged_sql})", merged_slots)
    ctes, page, slots = _page_parts(_POSTS_AMONG, _RETWEETS_AMONG, authors)
    return f"WITH {ctes} SELECT {page} ORDER BY feed_page.id DESC", slots


def entries_among(
    viewer: Reader, ids: Iterable[int], *, limit: int | None = None
) -> list[EntryRow]:
    """Which of `ids` (read from Redis, or the pull feed's candidates) are in the
    viewer's feed, newest first, at most `limit`: the pull feed's querysets
    restricted to `ids` (compiled once, see tweets.feed.compiled). On PostgreSQL one
    statement that also reads each row's post state (what rendering the page needs
    next); elsewhere two queries, and rendering reads the states."""
    return _among(viewer, list(ids), limit=limit, with_merged=False)[0]


def entries_and_merged(
    viewer: Reader, ids: Iterable[int], *, limit: int | None = None
) -> tuple[list[EntryRow], tuple[int, ...] | None]:
    """entries_among, and the reader's merged authors as the same statement saw
    them (tweets.feed.merged), or None when no row carried them (an empty page, or
    not on PostgreSQL)."""
    return _among(viewer, list(ids), limit=limit, with_merged=True)


def _among(
    viewer: Reader, ids: list[int], *, limit: int | None, with_merged: bool
) -> tuple[list[EntryRow], tuple[int, ...] | None]:
    if not ids or limit == 0:
        return [], None
    n_user = len(_USER_SUMMARY)
    if connection.vendor == "postgresql":
        sql, slots = _among_template(merged.settings_key() if with_merged else None)
        limit = len(ids) if limit is None else limit
        rows = run_template(sql, slots, viewer.pk, ids, limit=limit)
        authors = merged.distinct(rows[0][3 + n_user]) if with_merged and rows else None
        return _page_rows(rows, with_merged=with_merged), authors
    found = [(i, None, at, None) for i, at in _POSTS_AMONG.rows(viewer.pk, ids)]
    found += [(i, post, at, user) for i, post, at, *user in _RETWEETS_AMONG.rows(viewer.pk, ids)]
    entries = [_entry_row(*row) for row in found]
    entries.sort(key=lambda row: row.id, reverse=True)
    return entries[:limit], None


def _page_rows(rows, *, with_merged: bool = False) -> list[EntryRow]:
    """EntryRows, with their posts' states, from the rows of `_page_parts`."""
    n_user = len(_USER_SUMMARY)
    skip = n_user + with_merged
    state_of = states.StateRows()
    return [
        _entry_row(i, post_id, at, rest[:n_user], state_of(rest[skip:]))
        for i, post_id, at, *rest in rows
    ]


def _entry_row(i: int, post_id: int | None, at: datetime, user, state=None) -> EntryRow:
    if post_id is None:
        return EntryRow(id=i, type="post", post_id=i, created_at=at, post=state)
    retweeter = loaded(User, connection.alias, _USER_SUMMARY, user)
    return EntryRow(
        id=i, type="retweet", post_id=post_id, created_at=at, retweeted_by=retweeter, post=state
    )


# --- the pull feed: candidates and the rule in one statement ---------------------

PULL_MAX_ROUNDS = 4  # candidate batches before the rest comes from the scan above
_ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class Pulled:
    """One statement of the pull feed: the entries the rule kept, how many candidates
    there were and the oldest of them, and which way they were read."""

    entries: list[EntryRow]
    candidates: int
    last: int | None
    per_followee: bool


@functools.cache
def _candidates_ctes() -> tuple[str, list]:
    """CTEs ending in `candidates`: the newest n ids in (lo, hi) of posts (not deleted)
    and retweets by the viewer or a followee, newest first: a superset of the feed's
    entries there.

    Two ways, and the statement takes one by the reader's following counter (`few`,
    a one-time filter: the other branch never runs):
    - up to FEED_SQL_LATERAL_MAX_FOLLOWS followees, a top-n per followee over the
      (author, -id) and (user, -id) indexes. One `author IN (followees)` scan let
      PostgreSQL walk the primary key backward filtering every post by its author
      (11,931 rows removed for a reader following 10, 25 ms). It reads each
      followee's newest entry (`tops`), and further entries only of followees whose
      newest is among the n newest of all (`floor`: at least n entries are at or
      above it, so the page is): n entries of each followee cost a reader following
      300 twice as much;
    - past it (one index descent per followee cost 70 ms for 5,000), the newest
      posts and retweets, each probed against the (follower, followee) index: most
      of such a reader's newest entries qualify. `OFFSET 0` keeps the probe one
      index lookup per row: the generic plan expected a few follows and hashed all
      5,000 first instead (0.8 ms of the read's 1.9)."""
    # Table names come from the models; every value is a parameter.
    follow, post, retweet, user = (m._meta.db_table for m in (Follow, Post, Retweet, User))
    window = ["pull_lo", "pull_hi"]
    sql = f"""
        few AS (SELECT COALESCE(
            (SELECT following_count <= %s FROM "{user}" WHERE id = %s), true) AS yes),
        tops AS MATERIALIZED (
            SELECT c.id, (
                SELECT p.id FROM "{post}" p
                WHERE p.author_id = c.id AND p.id > %s AND p.id < %s AND p.deleted_at IS NULL
                ORDER BY p.id DESC LIMIT 1
            ) AS post, (
                SELECT r.id FROM "{retweet}" r
                WHERE r.user_id = c.id AND r.id > %s AND r.id < %s
                ORDER BY r.id DESC LIMIT 1
            ) AS retweet
            FROM (
                SELECT followee_id AS id FROM "{follow}" WHERE follower_id = %s UNION SELECT %s
            ) c WHERE (SELECT yes FROM few)
        ),
        floor AS (
            SELECT CASE WHEN count(*) < %s THEN %s ELSE min(top) - 1 END AS id FROM (
                SELECT top FROM (SELECT post AS top FROM tops UNION ALL SELECT retweet FROM tops) t
                WHERE top IS NOT NULL ORDER BY top DESC LIMIT %s
            ) newest
        ),
        candidates AS MATERIALIZED (SELECT id FROM (
            SELECT e.id FROM tops CROSS JOIN floor CROSS JOIN LATERAL (
                SELECT p.id FROM "{post}" p
                WHERE p.author_id = tops.id AND p.id > floor.id AND p.id < %s
                  AND p.deleted_at IS NULL
                ORDER BY p.id DESC LIMIT %s
            ) e WHERE tops.post > floor.id
            UNION ALL
            SELECT e.id FROM tops CROSS JOIN floor CROSS JOIN LATERAL (
                SELECT r.id FROM "{retweet}" r
                WHERE r.user_id = tops.id AND r.id > floor.id AND r.id < %s
                ORDER BY r.id DESC LIMIT %s
            ) e WHERE tops.retweet > floor.id
            UNION ALL
            (SELECT p.id FROM "{post}" p
             WHERE NOT (SELECT yes FROM few) AND p.id > %s AND p.id < %s
               AND p.deleted_at IS NULL
               AND (p.author_id = %s OR EXISTS (
                   SELECT 1 FROM "{follow}" f
                   WHERE f.follower_id = %s AND f.followee_id = p.author_id OFFSET 0))
             ORDER BY p.id DESC LIMIT %s)
            UNION ALL
            (SELECT r.id FROM "{retweet}" r
             WHERE NOT (SELECT yes FROM few) AND r.id > %s AND r.id < %s
               AND (r.user_id = %s OR EXISTS (
                   SELECT 1 FROM "{follow}" f
                   WHERE f.follower_id = %s AND f.followee_id = r.user_id OFFSET 0))
             ORDER BY r.id DESC LIMIT %s)
        ) c ORDER BY id DESC LIMIT %s)
    """  # noqa: S608
    slots = [
        *["pull_few", "viewer", *window, *window, "viewer", "viewer"],
        *["limit", "pull_lo", "limit"],
        *["pull_hi", "limit"] * 2,
        *[*window, "viewer", "viewer", "limit"] * 2,
        "limit",
    ]
    return sql, slots


@functools.cache
def _pull_template() -> tuple[str, list]:
    """The pull feed's page as one statement (one round trip): the candidates, the
    rule over them (`_page_parts`) with the page's post states, and a first row
    that is always there: which way the candidates were read, their count, the
    oldest of them (NULL page columns when the rule kept none)."""
    candidates, candidate_slots = _candidates_ctes()
    ctes, page, page_slots = _page_parts(_POSTS_PULLED, _RETWEETS_PULLED)
    sql = (
        f"WITH {candidates}, {ctes}"  # noqa: S608
        " SELECT meta.*, page.* FROM (SELECT (SELECT yes FROM few), count(*), min(id)"
        f" FROM candidates) meta LEFT JOIN (SELECT {page}) page ON true"
        " ORDER BY page.entry_id DESC"
    )
    return sql, [*candidate_slots, *page_slots]


def _pull(viewer: Reader, *, lo: int, hi: int | None, n: int) -> Pulled:
    """The newest n candidates in (lo, hi) and the feed's entries among them."""
    sql, slots = _pull_template()
    rows = run_template(
        sql,
        slots,
        viewer.pk,
        None,
        limit=n,
        pull_few=settings.FEED_SQL_LATERAL_MAX_FOLLOWS,
        pull_lo=lo,
        pull_hi=_ID_MAX if hi is None else hi,
    )
    per_followee, count, last = rows[0][:3]
    page = [row[3:] for row in rows if row[3] is not None]
    return Pulled(_page_rows(page), count, last, per_followee)


def _pulled_entries(viewer: Reader, *, lo: int, hi: int | None, n: int) -> list[EntryRow]:
    """Newest first: the top candidates kept when the one rule keeps them (the same
    filters as the scan). Exact: the candidates are a superset of the feed, and a
    batch of n candidates covers every entry down to its last id; a batch short of
    n is all there is. Filtering that drops many (mutes) takes more batches; after
    PULL_MAX_ROUNDS the scan serves the rest."""
    found: list[EntryRow] = []
    for _ in range(PULL_MAX_ROUNDS):
        batch = n - len(found)
        pulled = _pull(viewer, lo=lo, hi=hi, n=batch)
        found += pulled.entries
        if pulled.candidates < batch or len(found) >= n:
            return found[:n]
        hi = pulled.last
    rest = n - len(found)
    return found + _scanned_entries(
        viewer, lo=lo, hi=hi, ascending=False, n=rest, q="", probe=not pulled.per_followee
    )


# --- candidates (for rebuilds) ------------------------------------------------


def candidate_ids(viewer_id: int, *, limit: int, above: int = 0) -> list[int]:
    """Newest candidate entry ids of a timeline (> above), at most `limit` + 1. Two queries."""
    posts = Post.objects.filter(post_candidate_q(viewer_id), id__gt=above)
    retweets = Retweet.objects.filter(retweet_candidate_q(viewer_id), id__gt=above)
    return _newest(posts, retweets, limit)


def author_entry_ids(author_id: int, *, limit: int, above: int = 0) -> list[int]:
    """Newest entries of an author's own list (> above), at most `limit` + 1. Two queries."""
    posts = Post.objects.filter(author_id=author_id, deleted_at__isnull=True, id__gt=above)
    retweets = Retweet.objects.filter(
        user_id=author_id, post__deleted_at__isnull=True, id__gt=above
    )
    return _newest(posts, retweets, limit)


def _newest(posts, retweets, limit: int) -> list[int]:
    ids = [
        *posts.order_by("-id").values_list("id", flat=True)[: limit + 1],
        *retweets.order_by("-id").values_list("id", flat=True)[: limit + 1],
    ]
    return sorted(ids, reverse=True)[: limit + 1]
