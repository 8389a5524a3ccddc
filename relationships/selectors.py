"""Reads of relationships: visible users, lists, relationship flags, suggestions."""

from collections.abc import Iterable
from typing import Any, TypedDict

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value

from accounts.models import User
from accounts.viewer import Viewer, viewer_id
from core.degrade import cache_breaker
from core.errors import NotAllowed, NotFound
from relationships.models import Block, Follow, FollowRequest, Mute
from relationships.visibility import block_between_q, follows_q

SUGGESTIONS_MAX = 50


def _visible_users(*, viewer: Viewer) -> QuerySet[User]:
    users = User.objects.visible()
    me = viewer_id(viewer)
    if me is not None:
        users = users.exclude(block_between_q(viewer_id=me))
    return users


def users_visible_to(*, viewer: Viewer) -> QuerySet[User]:
    """Users whose profiles `viewer` may see (a user search's candidates): active,
    not deactivated, not blocked either way. Private accounts are listed (their
    profile is public; their posts are not)."""
    return _visible_users(viewer=viewer)


def user_get_visible_to(*, viewer: Viewer, user_id: int) -> User:
    """A user whose profile `viewer` may see, or 404: unknown, deactivated,
    suspended, or blocked in either direction."""
    user = _visible_users(viewer=viewer).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def user_get_by_username_visible_to(*, viewer: Viewer, username: str) -> User:
    user = _visible_users(viewer=viewer).filter(username__iexact=username).first()
    if user is None:
        raise NotFound()
    return user


def user_lists_get_visible_to(*, viewer: Viewer, user_id: int) -> User:
    """The user whose per-user lists `viewer` asks for (posts, likes, followers,
    following): the one rule every such list applies.

    404 as for the profile (unknown, deactivated, suspended, blocked either
    way). A private account's lists are for itself and its approved followers:
    anyone else, a pending requester or a staff member included, gets 403
    `private_account` (moderators read accounts in the admin, not through the API).
    """
    user = user_get_visible_to(viewer=viewer, user_id=user_id)
    me = viewer_id(viewer)
    if not user.is_private or me == user.pk:
        return user
    if me is None or not Follow.objects.filter(follower_id=me, followee_id=user.pk).exists():
        raise NotAllowed("This account is private.", code="private_account")
    return user


def _edge_list(*, viewer: Viewer, edges: QuerySet[Follow], user_field: str) -> QuerySet[Follow]:
    """Edges whose other end is active and not blocked either way with the viewer."""
    edges = edges.filter(
        **{f"{user_field}__is_active": True, f"{user_field}__deactivated_at__isnull": True}
    )
    me = viewer_id(viewer)
    if me is not None:  # an anonymous viewer blocks and is blocked by no one
        edges = edges.exclude(block_between_q(viewer_id=me, user_field=user_field))
    return edges.select_related(user_field)


def follower_list(*, viewer: Viewer, user_id: int) -> QuerySet[Follow]:
    """Who follows `user_id` (ordering is the paginator's: newest first)."""
    user = user_lists_get_visible_to(viewer=viewer, user_id=user_id)
    return _edge_list(
        viewer=viewer, edges=Follow.objects.filter(followee=user), user_field="follower"
    )


def following_list(*, viewer: Viewer, user_id: int) -> QuerySet[Follow]:
    user = user_lists_get_visible_to(viewer=viewer, user_id=user_id)
    return _edge_list(
        viewer=viewer, edges=Follow.objects.filter(follower=user), user_field="followee"
    )


def block_list(*, user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked")


def mute_list(*, user: User) -> QuerySet[Mute]:
    return Mute.objects.filter(muter=user).select_related("muted")


def follow_request_list(*, user: User) -> QuerySet[FollowRequest]:
    """Pending requests to follow `user`, from accounts that are still active."""
    return FollowRequest.objects.filter(
        target=user, requester__is_active=True, requester__deactivated_at__isnull=True
    ).select_related("requester")


RELATIONSHIP_FLAGS = ("following", "followed_by", "requested", "blocking", "blocked_by", "muting")


class Relationship(TypedDict):
    """The viewer's relationship with one user (RELATIONSHIP_FLAGS, as the API shows them)."""

    user_id: int
    following: bool
    followed_by: bool
    requested: bool
    blocking: bool
    blocked_by: bool
    muting: bool


def _relationship(user_id: int, flags: dict[str, Any]) -> Relationship:
    return Relationship(
        user_id=user_id,
        following=flags["following"],
        followed_by=flags["followed_by"],
        requested=flags["requested"],
        blocking=flags["blocking"],
        blocked_by=flags["blocked_by"],
        muting=flags["muting"],
    )


def relationships_for(*, viewer: User, user_ids: list[int]) -> list[Relationship]:
    """The viewer's relationship with each visible user in `user_ids`, in the given
    order; unknown and deactivated users are left out. One query for any number."""
    me, other = viewer.pk, OuterRef("pk")
    rows = (
        User.objects.visible()
        .filter(pk__in=user_ids)
        .annotate(
            following=Exists(Follow.objects.filter(follower_id=me, followee_id=other)),
            followed_by=Exists(Follow.objects.filter(follower_id=other, followee_id=me)),
            requested=Exists(FollowRequest.objects.filter(requester_id=me, target_id=other)),
            blocking=Exists(Block.objects.filter(blocker_id=me, blocked_id=other)),
            blocked_by=Exists(Block.objects.filter(blocker_id=other, blocked_id=me)),
            muting=Exists(Mute.objects.filter(muter_id=me, muted_id=other)),
        )
        .values("pk", *RELATIONSHIP_FLAGS)
    )
    by_id = {row["pk"]: row for row in rows}
    return [_relationship(uid, by_id[uid]) for uid in dict.fromkeys(user_ids) if uid in by_id]


def relationship_for(*, viewer: User, user_id: int) -> Relationship:
    found = relationships_for(viewer=viewer, user_ids=[user_id])
    if not found:
        raise NotFound()
    return found[0]


def _not_suggestable_q(*, user_id: int) -> Q:
    """Users never suggested to `user_id`: followed, requested, blocked either way, muted."""
    other = OuterRef("pk")
    return (
        follows_q(viewer_id=user_id)
        | Q(Exists(FollowRequest.objects.filter(requester_id=user_id, target_id=other)))
        | block_between_q(viewer_id=user_id)
        | Q(Exists(Mute.objects.filter(muter_id=user_id, muted_id=other)))
        | Q(pk=user_id)
    )


# Friends of friends, in one statement. The expensive part is reading the
# follows of the user's followees; it runs on the (follower, followee) unique
# index alone and is bounded by sampling the most recent followees. Exclusions
# run after grouping (one probe per candidate, not per edge), and user rows are
# joined only for the candidates that can still make the page: those whose
# count reaches the count of the CUTOFF_FACTOR * limit-th candidate (ties kept,
# so the followers_count tie-break stays exact).
_FRIENDS_OF_FRIENDS_SQL = """
WITH followees AS MATERIALIZED (
    SELECT followee_id AS id FROM {follow}
    WHERE follower_id = %(me)s
    ORDER BY created_at DESC, id DESC
    LIMIT %(sample)s
), counted AS (
    SELECT f.followee_id AS id, COUNT(*) AS mutual
    FROM followees JOIN {follow} f ON f.follower_id = followees.id
    GROUP BY f.followee_id
), candidates AS MATERIALIZED (
    SELECT c.id, c.mutual FROM counted c
    WHERE c.id <> %(me)s
      AND NOT EXISTS (SELECT 1 FROM {follow} x WHERE x.follower_id = %(me)s
                      AND x.followee_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM {request} r WHERE r.requester_id = %(me)s
                      AND r.target_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = %(me)s AND b.blocked_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = c.id AND b.blocked_id = %(me)s)
      AND NOT EXISTS (SELECT 1 FROM {mute} m WHERE m.muter_id = %(me)s AND m.muted_id = c.id)
), cutoff AS (
    SELECT mutual FROM candidates ORDER BY mutual DESC LIMIT 1 OFFSET %(cutoff)s
)
SELECT u.*, c.mutual AS mutual_count
FROM candidates c {user_join}
WHERE c.mutual >= COALESCE((SELECT mutual FROM cutoff), 0)
ORDER BY c.mutual DESC, u.followers_count DESC, u.id DESC
LIMIT %(limit)s
"""
FOLLOWEE_SAMPLE = 1000  # the most recent followees; exact for anyone following fewer
CUTOFF_FACTOR = 2  # headroom for candidates dropped as deactivated after the cutoff


# PostgreSQL cannot guess how few candidates pass the cutoff and would hash-join
# every user row; a LATERAL it cannot flatten (OFFSET 0) makes it one primary
# key probe per surviving candidate. SQLite (embedded mode) has no LATERAL and
# probes by primary key anyway.
_USER_JOIN = {
    "postgresql": "CROSS JOIN LATERAL (SELECT * FROM {user} u WHERE u.id = c.id"
    " AND u.is_active AND u.deactivated_at IS NULL OFFSET 0) u",
    "default": "JOIN {user} u ON u.id = c.id AND u.is_active AND u.deactivated_at IS NULL",
}


def _friends_of_friends(*, user_id: int, limit: int) -> list[User]:
    user_join = _USER_JOIN.get(connection.vendor, _USER_JOIN["default"])
    # Only table names are formatted in (from _meta); every value is a parameter.
    sql = _FRIENDS_OF_FRIENDS_SQL.format(
        user_join=user_join.format(user=User._meta.db_table),
        follow=Follow._meta.db_table,
        request=FollowRequest._meta.db_table,
        block=Block._meta.db_table,
        mute=Mute._meta.db_table,
    )
    params = {
        "me": user_id,
        "sample": FOLLOWEE_SAMPLE,
        "cutoff": CUTOFF_FACTOR * limit - 1,
        "limit": limit,
    }
    return list(User.objects.raw(sql, params))


def suggestions(*, user: User, limit: int = 20) -> list[User]:
    """Who to follow: friends of friends, ranked by how many of the people `user`
    follows follow them (then by followers_count), topped up with popular accounts.

    Never suggested: the user, whom they follow or asked to follow, block, are
    blocked by, or mute. One query for the ranking and, when the graph gives
    fewer than `limit`, one more for the popular top-up; the number of queries
    never depends on how many accounts the user follows (plus one to refill the
    cached pool of popular ids every few minutes). Each user carries
    `mutual_count` (0 for the top-up).
    """
    limit = max(1, min(limit, SUGGESTIONS_MAX))
    found = _friends_of_friends(user_id=user.pk, limit=limit)
    if len(found) < limit:
        found += list(
            User.objects.visible()
            .filter(pk__in=_popular_ids())
            .exclude(_not_suggestable_q(user_id=user.pk))
            .exclude(pk__in=[u.pk for u in found])
            .annotate(mutual_count=Value(0, output_field=IntegerField()))
            .order_by("-followers_count", "-pk")[: limit - len(found)]
        )
    return found


POPULAR_POOL = 500
POPULAR_CACHE_KEY = "relationships:popular-ids:v1"
POPULAR_CACHE_SECONDS = 300


def _popular_ids() -> list[int]:
    """The most followed accounts, shared by every user's top-up and cached: ranking
    all users by followers_count is a full scan without an index on it. Computed
    each time while Redis is unavailable (core.degrade)."""
    skipped = "the popular accounts cache is skipped"
    ids: list[int] | None = cache_breaker.call(
        skipped, lambda: cache.get(POPULAR_CACHE_KEY), lambda: None
    )
    if ids is None:
        fresh = list(
            User.objects.visible()
            .order_by("-followers_count", "-pk")
            .values_list("pk", flat=True)[:POPULAR_POOL]
        )
        cache_breaker.call(
            skipped,
            lambda: cache.set(POPULAR_CACHE_KEY, fresh, POPULAR_CACHE_SECONDS),
            lambda: None,
        )
        ids = fresh
    return ids


# --- pairs, for a batch of events (notifications' handlers) ------------------------


def blocked_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (a, b) pairs have a block between them, either way. One query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    ids = {i for pair in pairs for i in pair}
    rows = Block.objects.filter(blocker_id__in=ids, blocked_id__in=ids).values_list(
        "blocker_id", "blocked_id"
    )
    found: set[tuple[int, int]] = set()
    for blocker, blocked in rows:
        found.add((blocker, blocked))
        found.add((blocked, blocker))
    return pairs & found


def _existing_pairs(
    model: type[Follow] | type[Mute], first: str, second: str, pairs: Iterable[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which of `pairs` exist as (first, second) rows of `model`. One query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = model.objects.filter(
        **{f"{first}__in": {a for a, _ in pairs}, f"{second}__in": {b for _, b in pairs}}
    ).values_list(first, second)
    return pairs & set(rows)


def muting_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (muter, muted) pairs exist among `pairs`. One query."""
    return _existing_pairs(Mute, "muter_id", "muted_id", pairs)


def following_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (follower, followee) pairs are approved follows now. One query."""
    return _existing_pairs(Follow, "follower_id", "followee_id", pairs)


def pending_request_pairs(request_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(requester, target) of those follow requests that are still pending. One query."""
    return set(
        FollowRequest.objects.filter(pk__in=list(request_ids)).values_list(
            "requester_id", "target_id"
        )
    )
