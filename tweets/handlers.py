"""Event handlers of the posts app: the home feed's Redis effects (tweets.feed.fanout).

All are idempotent by construction (transactional=False) and read the current
state, so a late, repeated or reordered event does no harm; the ordering table
in docs/events.md says what each does with one.
"""

from django.db.models import F

from accounts.events import UserErased
from core import chunked, stamps
from core.events import Delivered, handler
from media import services as media_services
from media.events import MediaUpdated
from relationships.events import FollowApproved, UserFollowed, UserUnfollowed
from tweets import erasure
from tweets.events import (
    ContentErasureContinued,
    PostCreated,
    PostDeleted,
    RetweetCreated,
    RetweetDeleted,
)
from tweets.feed import fanout
from tweets.feed.tasks import queue_chunk
from tweets.models import Post


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


@handler(UserErased, ContentErasureContinued, transactional=False)
def erase_user_content(events: list[Delivered[UserErased | ContentErasureContinued]]) -> None:
    """Chunked and resumable (tweets.erasure): steps until the budget is spent, then a
    ContentErasureContinued takes the rest to the next run. Not transactional: every
    step commits on its own and is idempotent, so a re-run continues where the last
    one stopped. Late events of the erased user (a like after user.erased) cannot
    happen: the account can no longer sign in or act."""
    chunked.run_each(
        (delivered.event.user_id for delivered in events),
        step=lambda user_id: erasure.erase_step(user_id=user_id),
        hand_on=lambda user_id: erasure.continue_later(user_id=user_id),
    )


@handler(MediaUpdated, transactional=False)
def bump_posts_of_changed_media(events: list[Delivered[MediaUpdated]]) -> None:
    """A post shows its media (URLs, sizes, alt text): a new version of the post when
    one of them changed, so the feed's payload cache (keyed by version) is not stale.
    Bumping again on a re-run only costs one cache miss."""
    post_ids = {d.event.post_id for d in events if d.event.post_id is not None}
    if post_ids:
        Post.objects.filter(pk__in=post_ids).update(version=F("version") + 1)
        # Pages cached between the media's change and this bump hold the old payload.
        stamps.stale(stamps.post(post_id) for post_id in post_ids)


@handler(PostDeleted, transactional=False, queue="media")
def delete_media_of_deleted_posts(events: list[Delivered[PostDeleted]]) -> None:
    """A deleted post's media and their files (idempotent: a re-run finds no rows)."""
    media_services.media_delete_for_posts(post_ids=[d.event.post_id for d in events])
