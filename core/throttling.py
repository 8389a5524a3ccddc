"""DRF throttles that `THROTTLE_ENABLED=0` switches off (for benchmarks)."""

from django.conf import settings
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS


class _Switchable:
    def allow_request(self, request, view):
        if not settings.THROTTLE_ENABLED:
            return True
        return super().allow_request(request, view)


class UserRateThrottle(_Switchable, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_Switchable, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(_Switchable, throttling.ScopedRateThrottle):
    """Per-view limits: set `throttle_scope` on the view (auth, register, write, ...)."""


class WriteThrottled:
    """View mixin: unsafe methods also count against the "write" scope; reads
    only against the default user/anon rates."""

    throttle_scope = "write"

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method not in SAFE_METHODS:
            throttles.append(ScopedRateThrottle())
        return throttles
