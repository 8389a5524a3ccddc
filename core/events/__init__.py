"""Domain events through a transactional outbox (DESIGN.md §3).

Publishing (inside the transaction that makes the change)::

    from core.events import publish
    publish("post.liked", {"post_id": post.id, "user_id": user.id})

Handling (in an app's `handlers.py`; handlers take a batch)::

    from core.events import Event, handler

    @handler("post.liked")
    def notify_author(events: list[Event]) -> None: ...

This module is the contract the apps rely on; `core.events.*` holds the
outbox, dispatch, retries and dead letters behind it.
"""

from core.events.outbox import publish
from core.events.registry import Event, handler, registry

__all__ = ["Event", "handler", "publish", "registry"]
