"""What a committed change makes stale, for caches validated at read time.

A cached read (the home feed's rendered pages, tweets.feed.pages) records what
it showed: users, posts, mentioned names. A change names the same things here,
in its transaction; after the commit they are *stamped* with a clock that only
grows, in one call, before the request answers. A cached read taken before the
commit is older than a stamp it depends on and is not served again, so whoever
made a change sees it in their very next read.

Keys (`user(id)`, `post(id)`, `name(username)`, `entries(id)`, `EVERYTHING`) are the contract
between the apps that change things and the caches that read them. Domain
events say what they make stale (`DomainEvent.stale`, stamped by
core.events.publish); changes without an event (bookmarks, profile fields)
call `stale` themselves. `EVERYTHING` is for the rare changes that can bring
back what a read filtered out without showing it (an unhidden post, a lifted
suspension, an account turned public): a read cannot list what it did not show.

The stamping backend is plugged in by the app that keeps the cache
(`use_backend`); without one (embedded mode), `stale` does nothing.
"""

import threading
from collections.abc import Callable, Iterable

from django.db import connection, transaction

EVERYTHING = "g"
ENTRIES = "e:"  # entries(user_id): the prefix, for backends that treat them apart

Backend = Callable[[frozenset[str]], None]
_backend: Backend | None = None
_pending = threading.local()


def user(user_id: int) -> str:
    """A user's profile as others see it, and everything the user sees: their
    follows, mutes, blocks, likes, retweets and bookmarks."""
    return f"u:{user_id}"


def post(post_id: int) -> str:
    """A post's content, counters and visibility."""
    return f"p:{post_id}"


def name(username: str) -> str:
    """Which user a `@username` in a text links to."""
    return f"n:{username.lower()}"


def entries(user_id: int) -> str:
    """A new post or retweet of the user's: a new entry of their followers' feeds.
    Only pages read from the pull feed depend on it (a Redis-backed page's key
    changes with the lists it reads instead); other backends may drop it."""
    return f"{ENTRIES}{user_id}"


def use_backend(backend: Backend | None) -> None:
    global _backend
    _backend = backend


def stale(keys: Iterable[str]) -> None:
    """Stamp `keys` after the current transaction commits (now, outside one).

    Keys of one transaction are stamped together in one call: each call queues
    its keys and registers a flush, and the first flush to run takes them all
    (a flush registered in a savepoint that rolled back is dropped, the others
    still run)."""
    keys = set(keys)
    if _backend is None or not keys:
        return  # (without a backend, or nothing named: no flush to register)
    queued: set[str] = _queue()
    queued.update(keys)
    if not connection.in_atomic_block:
        _flush()
        return
    transaction.on_commit(_flush)


def _queue() -> set[str]:
    queued = getattr(_pending, "keys", None)
    if queued is None:
        queued = _pending.keys = set()
    return queued


def _flush() -> None:
    keys = frozenset(_queue())
    _pending.keys = set()
    if keys and _backend is not None:
        _backend(keys)
