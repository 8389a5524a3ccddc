"""Event handlers of the posts app: the home feed's Redis effects (tweets.feed.fanout).

All are idempotent by construction (transactional=False) and read the current
state, so a late, repeated or reordered event does no harm; the ordering table
in docs/events.md says what each does with one.
"""

from accounts.events import UserErased
from core.events import Delivered, handler
from relationships.events import FollowApproved, UserFollowed, UserUnfollowed
from tweets import services
from tweets.events import PostCreated, PostDeleted, RetweetCreated, RetweetDeleted
from tweets.feed import fanout
from tweets.feed.tasks import queue_chunk


@handler(PostCreated, RetweetCreated, transactional=False, queue="fanout")
def feed_fan_out(events: list[Delivered[PostCreated | RetweetCreated]]) -> None:
    fanout.fan_out(events, queue_chunk=queue_chunk)


@handler(PostDeleted, RetweetDeleted, transactional=False, queue="fanout")
def feed_remove_deleted(events: list[Delivered[PostDeleted | RetweetDeleted]]) -> None:
    fanout.remove_deleted(events)


@handler(UserFollowed, FollowApproved, transactional=False, queue="fanout")
def feed_backfill_follow(events: list[Delivered[UserFollowed | FollowApproved]]) -> None:
    fanout.backfill_followers(events)


@handler(UserUnfollowed, transactional=False, queue="fanout")
def feed_prune_unfollow(events: list[Delivered[UserUnfollowed]]) -> None:
    fanout.prune_unfollowed(events)


@handler(UserErased)
def erase_user_content(events: list[Delivered[UserErased]]) -> None:
    """Transactional (markers) and idempotent anyway: a re-run finds nothing
    left. Late events of the erased user (a like after user.erased) cannot
    happen: the account can no longer sign in or act."""
    for delivered in events:
        services.user_content_erase(user_id=delivered.event.user_id)
