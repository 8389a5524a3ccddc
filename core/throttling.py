"""DRF throttles that `THROTTLE_ENABLED=0` switches off (for benchmarks)."""

from django.conf import settings
from rest_framework import throttling


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
