"""DRF throttles that `THROTTLE_ENABLED=0` switches off (for benchmarks).

They count in the cache (Redis). When Redis is unavailable they count in the
process instead (logged; core.degrade): a request is never refused, nor
answered 500, because the counter is out of reach, and the limits still hold
per process, so sign-in, registration and password resets stay bounded
during the outage.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

from core.degrade import cache_breaker

if TYPE_CHECKING:
    # Not at run time: rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES).
    from rest_framework.request import Request
    from rest_framework.views import APIView

    _Throttle = throttling.SimpleRateThrottle
    _View = APIView
else:  # the classes these are mixed into
    _Throttle = _View = object


# The counts while Redis is unavailable: this process's own, bounded in memory.
local_counts = LocMemCache("warble-throttles", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class _Counts(BaseCache):
    """Where throttles keep their counts: the cache (Redis) through the breaker,
    this process's memory while Redis is unavailable."""

    def __init__(self) -> None:
        super().__init__({})

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return cache_breaker.call(
            "throttles count in this process",
            lambda: cache.get(key, default, version),
            lambda: local_counts.get(key, default, version),
        )

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        cache_breaker.call(
            "throttles count in this process",
            lambda: cache.set(key, value, timeout, version),
            lambda: local_counts.set(key, value, timeout, version),
        )


class _Switchable(_Throttle):
    """Mixed in before a DRF throttle class, which does the counting."""

    cache = _Counts()

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        return super().allow_request(request, view)


class UserRateThrottle(_Switchable, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_Switchable, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(_Switchable, throttling.ScopedRateThrottle):
    """Per-view limits: set `throttle_scope` on the view (auth, register, write, ...)."""


class WriteThrottled(_View):
    """View mixin: unsafe methods also count against the "write" scope; reads
    only against the default user/anon rates."""

    throttle_scope = "write"

    def get_throttles(self) -> list[throttling.BaseThrottle]:
        throttles = super().get_throttles()
        if self.request.method not in SAFE_METHODS:
            throttles.append(ScopedRateThrottle())
        return throttles
