"""Reads of posts. Every one goes through `visible_to` (tweets.models), and none
costs a query per post: lists are hydrated in a fixed number of queries.

Hydration for any list of posts:
    posts = posts_for_viewer(viewer=user, ids=[...])          # 1 query
    context = post_render_context(viewer=user, posts=posts)   # at most 2 queries
and the renderer (`tweets.rendering`) takes it from there (mentioned users: at
most one more query, `mention_entities`).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from django.db import connection
from django.db.models import BigIntegerField, IntegerField, QuerySet, Value
from django.db.models.functions import Lower

from accounts.mentions import parse_mentions
from accounts.models import User
from accounts.viewer import SignedInViewer, Viewer, viewer_id
from core.errors import NotFound
from core.pagination import KeysetWindow
from tweets.models import (
    Bookmark,
    Like,
    Post,
    PostEdit,
    PostQuerySet,
    Retweet,
    RetweetQuerySet,
    post_visibility_q,
    user_visibility_q,
)

CONTEXT_MAX_ANCESTORS = 50
CONTEXT_MAX_DESCENDANTS = 200
# Rows of a conversation read to find a post's descendants; a thread bigger
# than this shows its first descendants only.
CONTEXT_SCAN_LIMIT = 2000
PROFILE_RECENT_POSTS = 5


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a timeline: a post, or a retweet of one. Posts and retweets
    share the id space, so entries of both kinds sort and paginate by `id`."""

    id: int
    type: str  # "post" | "retweet"
    created_at: datetime
    post: Post
    retweeted_by: User | None = None

    @property
    def post_id(self) -> int:
        return self.post.id

    @classmethod
    def of_post(cls, post: Post) -> "TimelineEntry":
        return cls(id=post.id, type="post", created_at=post.created_at, post=post)

    @classmethod
    def of_retweet(cls, retweet: Retweet) -> "TimelineEntry":
        return cls(
            id=retweet.id,
            type="retweet",
            created_at=retweet.created_at,
            post=retweet.post,
            retweeted_by=retweet.user,
        )


@dataclass
class PostRenderContext:
    """What rendering a list of posts for one viewer needs beyond the posts:
    the visible posts they reply to or quote (by id; the home feed passes rows
    holding only what the renderer reads), and the viewer's flags."""

    refs: dict[int, Any] = field(default_factory=dict)
    liked: set[int] = field(default_factory=set)
    retweeted: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)


def post_count() -> int:
    """Posts that exist for readers: not deleted or hidden, by active accounts (the
    instance's statistics)."""
    return Post.objects.filter(
        deleted_at__isnull=True, hidden_at__isnull=True, author__is_active=True
    ).count()


def visible_posts(*, viewer: Viewer) -> PostQuerySet:
    return Post.objects.visible_to(viewer).select_related("author")


def post_get_visible(*, viewer: Viewer, post_id: int) -> Post:
    post = visible_posts(viewer=viewer).filter(pk=post_id).first()
    if post is None:
        raise NotFound()
    return post


def posts_for_viewer(*, viewer: Viewer, ids: Iterable[int]) -> list[Post]:
    """The posts among `ids` the viewer may see, in the order of `ids`. One query."""
    ids = list(ids)
    if not ids:
        return []
    by_id = {post.id: post for post in visible_posts(viewer=viewer).filter(pk__in=ids)}
    return [by_id[post_id] for post_id in ids if post_id in by_id]


def viewer_flags(*, viewer: Viewer, post_ids: Iterable[int]) -> tuple[set[int], set[int], set[int]]:
    """(liked, retweeted, bookmarked) post ids among `post_ids`: one UNION ALL query."""
    post_ids = list(set(post_ids))
    me = viewer_id(viewer)
    if not post_ids or me is None:
        return set(), set(), set()

    def rows(
        model: type[Like | Retweet | Bookmark], kind: int
    ) -> QuerySet[Like | Retweet | Bookmark, tuple[int, int]]:
        return (
            model.objects.filter(user_id=me, post_id__in=post_ids)
            .annotate(kind=Value(kind, output_field=IntegerField()))
            .values_list("post_id", "kind")
        )

    flags: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    for post_id, kind in rows(Like, 0).union(rows(Retweet, 1), rows(Bookmark, 2), all=True):
        flags[kind].add(post_id)
    return flags


class MentionEntity(TypedDict):
    """A mention of an existing, visible user: where it is in the text (code points,
    `end` exclusive, the `@` included) and whom it names."""

    username: str
    user_id: int
    start: int
    end: int


def mention_entities(texts: dict[int, str]) -> dict[int, list[MentionEntity]]:
    """Mentions of existing, visible users in the texts (by post id), as entities:
    one query for the whole list (none when no text mentions anyone)."""
    spans = {post_id: parse_mentions(text) for post_id, text in texts.items()}
    names = {span.username.lower() for found in spans.values() for span in found}
    if not names:
        return {}
    users = dict(
        User.objects.visible()
        .annotate(name=Lower("username"))
        .filter(name__in=names)
        .values_list("name", "id")
    )
    return {
        post_id: [
            MentionEntity(
                username=s.username,
                user_id=users[s.username.lower()],
                start=s.start,
                end=s.end,
            )
            for s in found
            if s.username.lower() in users
        ]
        for post_id, found in spans.items()
    }


def post_render_context(*, viewer: Viewer, posts: Iterable[Post]) -> PostRenderContext:
    """Referenced posts (at most 1 query) and viewer flags (at most 1 query)."""
    posts = list(posts)
    known = {post.id: post for post in posts}
    wanted = {ref for post in posts for ref in (post.reply_to_id, post.quote_of_id) if ref}
    refs = {ref: known[ref] for ref in wanted if ref in known}
    missing = wanted - refs.keys()
    if missing:
        refs.update((p.id, p) for p in visible_posts(viewer=viewer).filter(pk__in=missing))
    liked, retweeted, bookmarked = viewer_flags(viewer=viewer, post_ids=known)
    return PostRenderContext(refs=refs, liked=liked, retweeted=retweeted, bookmarked=bookmarked)


def new_post_render_context(*, viewer: Viewer, post: Post) -> PostRenderContext:
    """The render context of a post created in this request: no flags query (nobody
    can have liked, retweeted or bookmarked a post that did not exist), and the
    replied-to and quoted posts the service just checked are reused when their
    author is loaded (otherwise one query, as for any list)."""
    refs: dict[int, Post] = {}
    missing: set[int] = set()
    for fk, ref_id in (
        (Post.reply_to.field, post.reply_to_id),
        (Post.quote_of.field, post.quote_of_id),
    ):
        if not ref_id:
            continue
        ref = getattr(post, fk.name) if fk.is_cached(post) else None
        if ref is not None and Post.author.field.is_cached(ref):
            refs[ref_id] = ref
        else:
            missing.add(ref_id)
    if missing:
        refs.update((p.id, p) for p in visible_posts(viewer=viewer).filter(pk__in=missing))
    return PostRenderContext(refs=refs)


# --- lists -------------------------------------------------------------------


def post_replies(*, viewer: Viewer, post_id: int) -> PostQuerySet:
    """Direct replies the viewer may see (a queryset for keyset pagination by id)."""
    parent = post_get_visible(viewer=viewer, post_id=post_id)
    return visible_posts(viewer=viewer).filter(reply_to_id=parent.id)


def post_edit_history(*, viewer: Viewer, post_id: int) -> QuerySet[PostEdit]:
    """Earlier texts of a post the viewer may see, newest edit first by id."""
    post = post_get_visible(viewer=viewer, post_id=post_id)
    return PostEdit.objects.filter(post_id=post.id)


def post_likes(*, viewer: Viewer, post_id: int) -> QuerySet[Like]:
    """Likes of a visible post by users the viewer may see (with the user loaded)."""
    post = post_get_visible(viewer=viewer, post_id=post_id)
    return (
        Like.objects.filter(post_id=post.id)
        .filter(user_visibility_q(viewer=viewer, field="user"))
        .select_related("user")
    )


def post_retweets(*, viewer: Viewer, post_id: int) -> RetweetQuerySet:
    post = post_get_visible(viewer=viewer, post_id=post_id)
    return Retweet.objects.visible_to(viewer).filter(post_id=post.id).select_related("user")


def bookmarks_of(*, user: User) -> QuerySet[Bookmark]:
    """The user's own bookmarks of posts they may still see. Only ever the caller's."""
    return (
        Bookmark.objects.filter(user_id=user.pk)
        .filter(post_visibility_q(viewer=user, prefix="post__"))
        .select_related("post__author")
    )


def user_liked(*, viewer: Viewer, user: User) -> QuerySet[Like]:
    """Likes by `user` of posts the viewer may see. Whether the viewer may list
    `user`'s likes at all (a private account's) is asked first, by
    `relationships.selectors.user_lists_get_visible_to`."""
    return (
        Like.objects.filter(user_id=user.pk)
        .filter(post_visibility_q(viewer=viewer, prefix="post__"))
        .select_related("post__author")
    )


def user_timeline(
    *, viewer: Viewer, user: User, window: KeysetWindow, include_replies: bool = False
) -> list[TimelineEntry]:
    """The user's posts and retweets, merged by entry id: `window.fetch_size`
    entries at most, in window order. Two queries."""
    posts = visible_posts(viewer=viewer).filter(author_id=user.pk)
    if not include_replies:
        posts = posts.filter(reply_to__isnull=True)
    retweets = (
        Retweet.objects.visible_to(viewer)
        .filter(user_id=user.pk)
        .select_related("user", "post__author")
    )
    return window.merge(
        [TimelineEntry.of_post(post) for post in window.apply(posts)],
        [TimelineEntry.of_retweet(retweet) for retweet in window.apply(retweets)],
    )


def user_recent_posts(
    *, viewer: Viewer, user: User, limit: int = PROFILE_RECENT_POSTS
) -> list[Post]:
    """The newest posts (not replies) of `user` for a profile page."""
    posts = visible_posts(viewer=viewer).filter(author_id=user.pk, reply_to__isnull=True)
    return list(posts.order_by("-id")[:limit])


# --- threads -----------------------------------------------------------------

_ANCESTORS_SQL = """
WITH RECURSIVE chain(id, parent_id, depth) AS (
    SELECT id, reply_to_id, 0 FROM {table} WHERE id = %s
    UNION ALL
    SELECT p.id, p.reply_to_id, chain.depth + 1
    FROM {table} p JOIN chain ON p.id = chain.parent_id
    WHERE chain.depth < %s
)
SELECT id FROM chain WHERE depth > 0 ORDER BY depth DESC
"""


def _ancestor_ids(post: Post) -> list[int]:
    """Ids up the reply chain, root first, at most CONTEXT_MAX_ANCESTORS: one query."""
    if post.reply_to_id is None:
        return []
    sql = _ANCESTORS_SQL.format(table=connection.ops.quote_name(Post._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [post.id, CONTEXT_MAX_ANCESTORS])
        return [row[0] for row in cursor.fetchall()]


def _descendant_ids(post: Post) -> list[int]:
    """Ids below the post, breadth first (oldest first within a level): one query
    over the conversation, whose rows all carry the root's id."""
    rows = (
        Post.objects.filter(conversation_id=post.conversation_id, id__gt=post.id)
        .order_by("id")
        .values_list("id", "reply_to_id")[:CONTEXT_SCAN_LIMIT]
    )
    children: dict[int, list[int]] = {}
    for child_id, parent_id in rows:
        children.setdefault(parent_id, []).append(child_id)
    found: list[int] = []
    level = [post.id]
    while level and len(found) < CONTEXT_MAX_DESCENDANTS:
        level = [child for parent in level for child in children.get(parent, [])]
        found.extend(level)
    return found[:CONTEXT_MAX_DESCENDANTS]


@dataclass
class PostThread:
    ancestors: list[Post]
    post: Post
    descendants: list[Post]


def post_context(*, viewer: Viewer, post_id: int) -> PostThread:
    """A post with its visible ancestors (root first) and descendants (breadth
    first), both bounded. Four queries whatever the thread's size."""
    post = post_get_visible(viewer=viewer, post_id=post_id)
    ancestor_ids = _ancestor_ids(post)
    descendant_ids = _descendant_ids(post)
    # Deleted or hidden posts drop out here; their visible replies stay.
    by_id = {p.id: p for p in posts_for_viewer(viewer=viewer, ids=ancestor_ids + descendant_ids)}
    return PostThread(
        ancestors=[by_id[i] for i in ancestor_ids if i in by_id],
        post=post,
        descendants=[by_id[i] for i in descendant_ids if i in by_id],
    )


# --- for a batch of events (notifications' handlers) --------------------------------


def live_posts(post_ids: Iterable[int]) -> dict[int, Post]:
    """Posts that are not deleted, by id. One query."""
    return {p.id: p for p in Post.objects.filter(pk__in=set(post_ids), deleted_at__isnull=True)}


def post_authors(post_ids: Iterable[int]) -> dict[int, int]:
    """The author of each of these posts (deleted ones too). One query (none for no ids)."""
    post_ids = set(post_ids)
    if not post_ids:
        return {}
    return dict(Post.objects.filter(pk__in=post_ids).values_list("id", "author_id"))


VISIBLE_PAIRS_PER_QUERY = 100  # viewers per UNION (SQLite allows 500 compound terms)


def visible_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (viewer id, post id) pairs are visible: the posts' one visibility rule
    (`visible_to`) per viewer, all viewers in one UNION ALL query (per 100 viewers)."""
    by_viewer: dict[int, set[int]] = defaultdict(set)
    for reader, post_id in pairs:
        by_viewer[reader].add(post_id)
    viewers = sorted(by_viewer)
    found: set[tuple[int, int]] = set()
    for start in range(0, len(viewers), VISIBLE_PAIRS_PER_QUERY):
        parts = [
            Post.objects.visible_to(SignedInViewer(pk=reader))
            .filter(pk__in=by_viewer[reader])
            .annotate(viewer=Value(reader, output_field=BigIntegerField()))
            .values_list("viewer", "id")
            .order_by()
            for reader in viewers[start : start + VISIBLE_PAIRS_PER_QUERY]
        ]
        found.update(parts[0].union(*parts[1:], all=True))
    return found


def standing_likes(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (user, post) likes among `pairs` still stand. One query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = Like.objects.filter(
        user_id__in={u for u, _ in pairs}, post_id__in={p for _, p in pairs}
    ).values_list("user_id", "post_id")
    return pairs & set(rows)


def standing_retweets(retweet_ids: Iterable[int]) -> list[tuple[int, int, int]]:
    """(user, post, post author) of those retweets that still stand, of posts not
    deleted. One query."""
    return list(
        Retweet.objects.filter(pk__in=list(retweet_ids), post__deleted_at__isnull=True).values_list(
            "user_id", "post_id", "post__author_id"
        )
    )
