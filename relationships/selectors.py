"""Reads of relationships: visible users, lists, relationship flags, suggestions."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from relationships.models import Block, Follow, FollowRequest, Mute
from relationships.visibility import block_between_q, follows_q

SUGGESTIONS_MAX = 50


def _visible_users(*, viewer) -> QuerySet[User]:
    users = User.objects.visible()
    if viewer is not None and viewer.is_authenticated:
        users = users.exclude(block_between_q(viewer_id=viewer.pk))
    return users


def user_get_visible_to(*, viewer, user_id: int) -> User:
    """A user whose profile `viewer` may see, or 404: unknown, deactivated,
    suspended, or blocked in either direction."""
    user = _visible_users(viewer=viewer).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user.")
    return user


def user_get_by_username_visible_to(*, viewer, username: str) -> User:
    user = _visible_users(viewer=viewer).filter(username__iexact=username).first()
    if user is None:
        raise Http404("No such user.")
    return user


def _check_lists_visible(*, viewer, user: User) -> None:
    """A private account's follower and following lists are for its approved followers."""
    if not user.is_private or viewer.pk == user.pk:
        return
    if not Follow.objects.filter(follower_id=viewer.pk, followee_id=user.pk).exists():
        raise PermissionDenied("This account is private.", code="private_account")


def _edge_list(*, viewer, edges: QuerySet, user_field: str) -> QuerySet:
    """Edges whose other end is active and not blocked either way with the viewer."""
    return (
        edges.filter(
            **{f"{user_field}__is_active": True, f"{user_field}__deactivated_at__isnull": True}
        )
        .exclude(block_between_q(viewer_id=viewer.pk, user_field=user_field))
        .select_related(user_field)
    )


def follower_list(*, viewer, user_id: int) -> QuerySet[Follow]:
    """Who follows `user_id` (ordering is the paginator's: newest first)."""
    user = user_get_visible_to(viewer=viewer, user_id=user_id)
    _check_lists_visible(viewer=viewer, user=user)
    return _edge_list(
        viewer=viewer, edges=Follow.objects.filter(followee=user), user_field="follower"
    )


def following_list(*, viewer, user_id: int) -> QuerySet[Follow]:
    user = user_get_visible_to(viewer=viewer, user_id=user_id)
    _check_lists_visible(viewer=viewer, user=user)
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


def relationships_for(*, viewer: User, user_ids: list[int]) -> list[dict]:
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
    by_id = {row.pop("pk"): row for row in rows}
    return [{"user_id": uid, **by_id[uid]} for uid in dict.fromkeys(user_ids) if uid in by_id]


def relationship_for(*, viewer: User, user_id: int) -> dict:
    found = relationships_for(viewer=viewer, user_ids=[user_id])
    if not found:
        raise Http404("No such user.")
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


def suggestions(*, user: User, limit: int = 20) -> list[User]:
    """Who to follow: friends of friends, ranked by how many of the people `user`
    follows follow them (then by popularity), topped up with popular accounts.

    One grouped query for the ranking (its cost grows with the follows of the
    user's followees, never its number of queries), and one more for the
    top-up when the graph gives fewer than `limit`. Each user has `mutual_count`.
    """
    limit = max(1, min(limit, SUGGESTIONS_MAX))
    excluded = _not_suggestable_q(user_id=user.pk)
    found: list[User] = []
    if user.following_count:
        followees = Follow.objects.filter(follower_id=user.pk).values("followee_id")
        found = list(
            User.objects.visible()
            .filter(follower_edges__follower_id__in=followees)
            .exclude(excluded)
            .annotate(mutual_count=Count("follower_edges"))
            .order_by("-mutual_count", "-followers_count", "-pk")[:limit]
        )
    if len(found) < limit:
        found += list(
            User.objects.visible()
            .exclude(excluded)
            .exclude(pk__in=[u.pk for u in found])
            .annotate(mutual_count=Value(0, output_field=IntegerField()))
            .order_by("-followers_count", "-pk")[: limit - len(found)]
        )
    return found
