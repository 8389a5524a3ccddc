"""Event handlers of the posts app: the home feed's Redis effects (tweets.feed.fanout).

All are idempotent by construction (transactional=False) and read the current
state, so a late, repeated or reordered event does no harm; the ordering table
in docs/events.md says what each does with one.
"""

from core.events import Event, handler
from tweets import services
from tweets.feed import fanout
from tweets.feed.tasks import queue_chunk


@handler("post.created", "retweet.created", transactional=False, queue="fanout")
def feed_fan_out(events: list[Event]) -> None:
    fanout.fan_out(events, queue_chunk=queue_chunk)


@handler("post.deleted", "retweet.deleted", transactional=False, queue="fanout")
def feed_remove_deleted(events: list[Event]) -> None:
    fanout.remove_deleted(events)


@handler("user.followed", "follow.approved", transactional=False, queue="fanout")
def feed_backfill_follow(events: list[Event]) -> None:
    fanout.backfill_followers(events)


@handler("user.unfollowed", transactional=False, queue="fanout")
def feed_prune_unfollow(events: list[Event]) -> None:
    fanout.prune_unfollowed(events)


@handler("user.erased")
def erase_user_content(events: list[Event]) -> None:
    """Transactional (markers) and idempotent anyway: a re-run finds nothing
    left. Late events of the erased user (a like after user.erased) cannot
    happen: the account can no longer sign in or act."""
    for event in events:
        services.user_content_erase(user_id=event.payload["user_id"])
