"""The fan-out chunk task: thin, calls tweets.feed.fanout."""

import redis
from celery import shared_task

from tweets.feed import fanout


@shared_task(
    name="tweets.feed.push_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(redis.RedisError,),
    retry_backoff=True,
    max_retries=8,
)
def push_chunk(
    *,
    groups: list[list[list[int]]] | None = None,
    entry_ids: list[int] | None = None,
    follower_ids: list[int] | None = None,
) -> None:
    """Add entries to a chunk of followers' timelines: `groups` of [entry ids, follower
    ids] (idempotent: a retry adds nothing new). `entry_ids`/`follower_ids` is the
    one-group form tasks queued before groups existed still carry."""
    if groups is None:
        groups = [[entry_ids or [], follower_ids or []]]
    fanout.push_groups([(entries, followers) for entries, followers in groups])
