"""Redis down, in process: the cache and the timelines pointed at a port where
nothing listens, so every Redis call is refused for real (no mock).

The real-process version (a redis-server SIGKILLed under gunicorn and a
worker) is tests/faults/test_redis_down.py.
"""

import contextlib
from collections.abc import Iterator

from django.test import override_settings

from core import throttling
from core.degrade import cache_breaker
from tweets.feed import store

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1

DEAD_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": DEAD,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


def reset() -> None:
    """Forget failures and the throttles' in-process counts."""
    cache_breaker.reset()
    store.breaker.reset()
    throttling.local_counts.clear()


@contextlib.contextmanager
def redis_down(*, retry_after: float = 0) -> Iterator[None]:
    """While inside, the cache and the timelines' Redis refuse every connection.
    A context manager, not the settings fixture: the cache must be back before
    the autouse fixture clears it at teardown."""
    reset()
    try:
        with override_settings(
            CACHES=DEAD_CACHE, FEED_REDIS_URL=DEAD, REDIS_RETRY_AFTER_SECONDS=retry_after
        ):
            yield
    finally:
        reset()
