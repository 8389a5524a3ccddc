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
def push_chunk(*, entry_ids: list[int], follower_ids: list[int]) -> None:
    """Add entries to a chunk of followers' timelines (idempotent: a retry adds nothing new)."""
    fanout.push_to_timelines(entry_ids=entry_ids, follower_ids=follower_ids)
