"""Going on without Redis (docs/security.md, "Faults").

Redis holds nothing PostgreSQL does not: the cache, the home timelines (rebuilt
from PostgreSQL), the dispatcher's flag, throttle counts, presence, the channel
layer. So a request that cannot reach it goes on without it, and each concern
decides how, in one place: the feed reads SQL, caches are skipped, throttles
count in the process, the dispatcher's flag is kept in the process, pushes are
dropped. Nothing answers 500 because of Redis.

A `Breaker` runs one concern's Redis step and, when Redis fails, logs it and
runs the fallback instead. After a failure it goes straight to the fallback for
`REDIS_RETRY_AFTER_SECONDS`, then tries Redis again: a Redis that hangs costs
one socket timeout per backend and interval, not one per request, and a Redis
that comes back is used again within the interval, without a restart (redis-py
pools reconnect by themselves).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What django-redis, redis-py and channels-redis raise when Redis is unreachable,
# times out, is loading or refuses a command.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, ConnectionInterrupted)

T = TypeVar("T")


def is_redis_failure(exc: BaseException) -> bool:
    """A Redis error, or an error raised while handling one: redis-py's clean-up
    of a connection that timed out mid-handshake can raise ValueError ("I/O
    operation on closed file") over the TimeoutError (seen under load in the
    bench: two 500s on the feed)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, REDIS_ERRORS):
            return True
        seen = seen.__context__
    return False


class Breaker:
    """One Redis backend as the request path sees it (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        retry_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._retry_after = retry_after
        self.clock = clock
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: Redis answered last time

    @property
    def retry_after(self) -> float:
        if self._retry_after is not None:
            return self._retry_after
        return float(getattr(settings, "REDIS_RETRY_AFTER_SECONDS", 5.0))

    def is_open(self) -> bool:
        """True while Redis is being skipped after a failure."""
        open_until = self._open_until
        return open_until is not None and self.clock() < open_until

    def call(self, what: str, run: Callable[[], T], fallback: Callable[[], T]) -> T:
        """`run()` (a step that uses Redis), or `fallback()` if Redis fails or failed
        within the interval. `what` says what that means, for the log."""
        if self.is_open():
            return fallback()
        try:
            result = run()
        except Exception as exc:
            if not is_redis_failure(exc):
                raise
            self._failed(what, exc)
            return fallback()
        if self._open_until is not None:
            self._recovered()
        return result

    def reset(self) -> None:
        """Forget a failure: the next call tries Redis (tests)."""
        with self._lock:
            self._open_until = None

    def _failed(self, what: str, exc: Exception) -> None:
        with self._lock:
            self._open_until = self.clock() + self.retry_after
        logger.warning(
            "Redis unavailable (%s): %s; requests go on without it and try it again "
            "in %.0f s (%s: %s)",
            self.name,
            what,
            self.retry_after,
            type(exc).__name__,
            exc,
        )

    def _recovered(self) -> None:
        with self._lock:
            if self._open_until is None:
                return
            self._open_until = None
        logger.warning("Redis available again (%s)", self.name)


# The Django cache (django-redis): throttles, the dispatcher's flag, payload and
# suggestion caches. The feed's timelines have their own (tweets.feed.store).
cache_breaker = Breaker("cache")
