"""What an erased account left in relationships, removed in resumable chunks.

Follows go with exact counters on the other side and a `user.unfollowed` each
(the feed prunes timelines); requests, blocks and mutes are simply deleted.
Like tweets.erasure: each step is one short transaction over at most CHUNK rows
it locks (SKIP LOCKED), so a step can be cut off, repeated or run twice at once
without a counter moving twice. The handler runs steps until its budget is spent
and hands the rest on with RelationshipsErasureContinued.
"""

from collections import Counter
from typing import TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet

from accounts.models import User
from core.counters import decrement
from core.events import publish, publish_many
from relationships.events import RelationshipsErasureContinued, UserUnfollowed
from relationships.models import Block, Follow, FollowRequest, Mute

CHUNK = 1000

M = TypeVar("M", bound=Model)


def erase_step(*, user_id: int) -> bool:
    """One chunk of the first kind of row with something left; False when all is gone."""
    return any(step(user_id) for step in (_following, _followers, _requests, _blocks, _mutes))


def continue_later(*, user_id: int) -> None:
    with transaction.atomic():
        publish(RelationshipsErasureContinued(user_id=user_id))


def _locked(queryset: QuerySet[M], *fields: str) -> list[tuple[int, ...]]:
    """Up to CHUNK rows of `queryset` (these integer `fields`), locked by this transaction."""
    return list(
        queryset.select_for_update(skip_locked=True).order_by("pk").values_list(*fields)[:CHUNK]
    )


def _unfollow(rows: list[tuple[int, ...]]) -> None:
    """Delete these (pk, follower, followee) follows, which this transaction locked."""
    Follow.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    decrement(User, "following_count", Counter(follower for _, follower, _ in rows))
    decrement(User, "followers_count", Counter(followee for _, _, followee in rows))
    publish_many(
        UserUnfollowed(follower_id=follower, followee_id=followee) for _, follower, followee in rows
    )


@transaction.atomic
def _following(user_id: int) -> bool:
    rows = _locked(Follow.objects.filter(follower_id=user_id), "pk", "follower_id", "followee_id")
    if rows:
        _unfollow(rows)
    return bool(rows)


@transaction.atomic
def _followers(user_id: int) -> bool:
    rows = _locked(Follow.objects.filter(followee_id=user_id), "pk", "follower_id", "followee_id")
    if rows:
        _unfollow(rows)
    return bool(rows)


def _delete_chunk(queryset: QuerySet[M]) -> bool:
    ids = [pk for (pk,) in _locked(queryset, "pk")]
    return bool(ids) and bool(queryset.model._default_manager.filter(pk__in=ids).delete()[0])


@transaction.atomic
def _requests(user_id: int) -> bool:
    return _delete_chunk(FollowRequest.objects.filter(requester_id=user_id)) or _delete_chunk(
        FollowRequest.objects.filter(target_id=user_id)
    )


@transaction.atomic
def _blocks(user_id: int) -> bool:
    return _delete_chunk(Block.objects.filter(blocker_id=user_id)) or _delete_chunk(
        Block.objects.filter(blocked_id=user_id)
    )


@transaction.atomic
def _mutes(user_id: int) -> bool:
    return _delete_chunk(Mute.objects.filter(muter_id=user_id)) or _delete_chunk(
        Mute.objects.filter(muted_id=user_id)
    )
