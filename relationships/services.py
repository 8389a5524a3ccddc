"""Every write to relationships. Keyword-only, typed, transactional.

Concurrency: a write that touches a pair of users first locks both user rows
(SELECT ... FOR UPDATE, in id order, so two writers never deadlock). Writes on
one pair are therefore serialized: a follow cannot slip in beside a concurrent
block, and the followers/following counters move (with F() updates, in the same
transaction) exactly when a Follow row was really created or deleted.

Events: relationships/events.py (a follow a block removes publishes
user.unfollowed too).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from accounts.models import User
from core.errors import Invalid, NotAllowed, NotFound
from core.events import publish
from core.results import CreateResult
from relationships.events import (
    FollowApproved,
    FollowRequested,
    UserBlocked,
    UserFollowed,
    UserMuted,
    UserUnblocked,
    UserUnfollowed,
    UserUnmuted,
)
from relationships.models import Block, Follow, FollowRequest, Mute


@dataclass(frozen=True)
class FollowState:
    following: bool  # an approved follow exists
    requested: bool  # a request to follow a private account is pending


def _refuse_self(*, user_id: int, other_id: int, action: str) -> None:
    if user_id == other_id:
        raise Invalid(f"You cannot {action} yourself.", code=f"self_{action}")


def _lock_pair(*, user_id: int, other_id: int, require_visible: bool) -> User:
    """Lock both users' rows in id order; return the other user, or 404.

    FOR NO KEY UPDATE, not FOR UPDATE: it serializes writers of the pair (and the
    counter UPDATEs) but does not conflict with the KEY SHARE locks that inserts
    referencing a user take (follows, notifications, posts). With FOR UPDATE an
    event handler inserting rows that reference two users could deadlock
    against a pair writer.
    """
    users = {
        u.pk: u
        for u in User.objects.select_for_update(no_key=True)
        .filter(pk__in={user_id, other_id})
        .order_by("pk")
        .only("id", "is_private", "is_active", "deactivated_at")
    }
    other = users.get(other_id)
    if other is None or (require_visible and (not other.is_active or other.is_deactivated)):
        raise NotFound("No such user.")
    return other


def _blocked_between(*, user_id: int, other_id: int) -> Block | None:
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).first()


def _move_counters(*, follower_id: int, followee_id: int, delta: int) -> None:
    User.objects.filter(pk=follower_id).update(following_count=F("following_count") + delta)
    User.objects.filter(pk=followee_id).update(followers_count=F("followers_count") + delta)


def _follow_insert(*, follower_id: int, followee_id: int) -> bool:
    _, created = Follow.objects.get_or_create(follower_id=follower_id, followee_id=followee_id)
    if created:
        _move_counters(follower_id=follower_id, followee_id=followee_id, delta=1)
    return created


def _follow_remove(*, follower_id: int, followee_id: int) -> bool:
    deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
    if deleted:
        _move_counters(follower_id=follower_id, followee_id=followee_id, delta=-1)
        publish(UserUnfollowed(follower_id=follower_id, followee_id=followee_id))
    return bool(deleted)


@transaction.atomic
def follow_create(*, follower: User, followee_id: int) -> CreateResult[FollowState]:
    """Follow a public account, or ask to follow a private one."""
    _refuse_self(user_id=follower.pk, other_id=followee_id, action="follow")
    followee = _lock_pair(user_id=follower.pk, other_id=followee_id, require_visible=True)
    block = _blocked_between(user_id=follower.pk, other_id=followee_id)
    if block is not None:
        detail = (
            "You block this account; unblock it first."
            if block.blocker_id == follower.pk
            else "You cannot follow this account."
        )
        raise NotAllowed(detail, code="blocked")
    if Follow.objects.filter(follower_id=follower.pk, followee_id=followee_id).exists():
        return CreateResult(FollowState(following=True, requested=False), created=False)
    if followee.is_private:
        request, created = FollowRequest.objects.get_or_create(
            requester_id=follower.pk, target_id=followee_id
        )
        if created:
            publish(
                FollowRequested(
                    request_id=request.pk, requester_id=follower.pk, target_id=followee_id
                )
            )
        return CreateResult(FollowState(following=False, requested=True), created=created)
    # A request left from when the account was private is answered by the follow.
    FollowRequest.objects.filter(requester_id=follower.pk, target_id=followee_id).delete()
    _follow_insert(follower_id=follower.pk, followee_id=followee_id)
    publish(UserFollowed(follower_id=follower.pk, followee_id=followee_id))
    return CreateResult(FollowState(following=True, requested=False), created=True)


@transaction.atomic
def follow_delete(*, follower: User, followee_id: int) -> None:
    """Unfollow, or withdraw a pending follow request. Nothing to remove is fine."""
    _lock_pair(user_id=follower.pk, other_id=followee_id, require_visible=False)
    FollowRequest.objects.filter(requester_id=follower.pk, target_id=followee_id).delete()
    _follow_remove(follower_id=follower.pk, followee_id=followee_id)


@transaction.atomic
def follower_remove(*, user: User, follower_id: int) -> None:
    """Make `follower_id` stop following `user` (and drop their pending request)."""
    _lock_pair(user_id=user.pk, other_id=follower_id, require_visible=False)
    FollowRequest.objects.filter(requester_id=follower_id, target_id=user.pk).delete()
    _follow_remove(follower_id=follower_id, followee_id=user.pk)


def _pending_request(*, user: User, request_id: int) -> FollowRequest:
    request = (
        FollowRequest.objects.filter(
            pk=request_id,
            target_id=user.pk,
            requester__is_active=True,
            requester__deactivated_at__isnull=True,
        )
        .only("id", "requester_id", "target_id")
        .first()
    )
    if request is None:
        raise NotFound("No such follow request.")
    return request


@transaction.atomic
def follow_request_approve(*, user: User, request_id: int) -> None:
    """Only the request's target may approve it; for anyone else it does not exist."""
    request = _pending_request(user=user, request_id=request_id)
    _lock_pair(user_id=user.pk, other_id=request.requester_id, require_visible=True)
    # Under the lock: the request may have been withdrawn (or a block removed it).
    if not FollowRequest.objects.filter(pk=request.pk).delete()[0]:
        raise NotFound("No such follow request.")
    _follow_insert(follower_id=request.requester_id, followee_id=user.pk)
    publish(
        FollowApproved(request_id=request.pk, follower_id=request.requester_id, followee_id=user.pk)
    )


@transaction.atomic
def follow_request_reject(*, user: User, request_id: int) -> None:
    request = _pending_request(user=user, request_id=request_id)
    if not FollowRequest.objects.filter(pk=request.pk).delete()[0]:
        raise NotFound("No such follow request.")


@transaction.atomic
def block_create(*, blocker: User, blocked_id: int) -> CreateResult[Block]:
    """Block a user: follows both ways and pending requests go; unblocking restores nothing."""
    _refuse_self(user_id=blocker.pk, other_id=blocked_id, action="block")
    _lock_pair(user_id=blocker.pk, other_id=blocked_id, require_visible=True)
    block, created = Block.objects.get_or_create(blocker_id=blocker.pk, blocked_id=blocked_id)
    _follow_remove(follower_id=blocker.pk, followee_id=blocked_id)
    _follow_remove(follower_id=blocked_id, followee_id=blocker.pk)
    FollowRequest.objects.filter(
        Q(requester_id=blocker.pk, target_id=blocked_id)
        | Q(requester_id=blocked_id, target_id=blocker.pk)
    ).delete()
    if created:
        publish(UserBlocked(blocker_id=blocker.pk, blocked_id=blocked_id))
    return CreateResult(block, created=created)


def _require_user(user_id: int) -> None:
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound("No such user.")


@transaction.atomic
def block_delete(*, blocker: User, blocked_id: int) -> None:
    _require_user(blocked_id)
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked_id).delete()
    if deleted:
        publish(UserUnblocked(blocker_id=blocker.pk, blocked_id=blocked_id))


@transaction.atomic
def mute_create(*, muter: User, muted_id: int) -> CreateResult[Mute]:
    """Mute: the muted user's posts leave the muter's feed and notifications, silently."""
    _refuse_self(user_id=muter.pk, other_id=muted_id, action="mute")
    if not User.objects.visible().filter(pk=muted_id).exists():
        raise NotFound("No such user.")
    mute, created = Mute.objects.get_or_create(muter_id=muter.pk, muted_id=muted_id)
    if created:
        publish(UserMuted(muter_id=muter.pk, muted_id=muted_id))
    return CreateResult(mute, created=created)


@transaction.atomic
def mute_delete(*, muter: User, muted_id: int) -> None:
    _require_user(muted_id)
    deleted, _ = Mute.objects.filter(muter_id=muter.pk, muted_id=muted_id).delete()
    if deleted:
        publish(UserUnmuted(muter_id=muter.pk, muted_id=muted_id))
