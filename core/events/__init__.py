"""Domain events through a transactional outbox (DESIGN.md §3).

Declaring (in the publishing app's `events.py`; core.events.types)::

    @dataclass(frozen=True, kw_only=True)
    class PostLiked(DomainEvent):
        name: ClassVar[str] = "post.liked"
        post_id: int
        user_id: int

Publishing (inside the transaction that makes the change)::

    from core.events import publish
    publish(PostLiked(post_id=post.id, user_id=user.id))

Handling (in an app's `handlers.py`; handlers take a batch)::

    from core.events import Delivered, handler

    @handler(PostLiked)
    def notify_author(events: list[Delivered[PostLiked]]) -> None: ...

This module is the contract the apps rely on; `core.events.*` holds the
outbox, dispatch, retries and dead letters behind it, and core.checks makes
`manage.py check` fail when the catalogue, the publishers and the handlers
disagree.
"""

from core.events.outbox import publish, publish_many, publish_with
from core.events.registry import handler, registry
from core.events.types import Delivered, DomainEvent, catalogue

__all__ = [
    "Delivered",
    "DomainEvent",
    "catalogue",
    "handler",
    "publish",
    "publish_many",
    "publish_with",
    "registry",
]
