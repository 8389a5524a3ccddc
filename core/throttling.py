"""DRF throttles that `THROTTLE_ENABLED=0` switches off (for benchmarks)."""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

if TYPE_CHECKING:
    # Not at run time: rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES).
    from rest_framework.request import Request
    from rest_framework.views import APIView

    _Throttle = throttling.SimpleRateThrottle
    _View = APIView
else:  # the classes these are mixed into
    _Throttle = _View = object


class _Switchable(_Throttle):
    """Mixed in before a DRF throttle class, which does the counting."""

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
