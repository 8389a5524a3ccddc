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
def push_chunk(*, groups: list[list[list[int]]]) -> None:
    """Add entries to a chunk of followers' timelines: `groups` of [entry ids, follower
    ids] (idempotent: a retry adds nothing new)."""
    fanout.push_groups([(entries, followers) for entries, followers in groups])


def queue_chunk(groups: fanout.Groups) -> None:
    """Send one chunk of a fan-out to a task (kwargs: small JSON lists of ids)."""
    push_chunk.apply_async(kwargs={"groups": [[e, f] for e, f in groups]}, queue="fanout")
