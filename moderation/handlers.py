"""Event handlers of moderation: the automatic first pass over new and edited posts."""

from core.events import Delivered, handler
from moderation import services
from tweets.events import PostCreated, PostEdited


@handler(PostCreated, PostEdited)
def flag_blocklisted_posts(events: list[Delivered[PostCreated | PostEdited]]) -> None:
    """A post whose text matches the blocklists lands in the report queue, reported by
    the system. Exactly once per event even when this runs twice (a redelivery, a
    replayed dead letter): the report carries the event's key under a unique
    constraint (moderation.models.Report.auto_key)."""
    services.flag_posts(
        posts=[
            (
                f"post.created:{d.event.post_id}"
                if isinstance(d.event, PostCreated)
                else f"post.edited:{d.event.edit_id}",
                d.event.post_id,
            )
            for d in events
        ]
    )
