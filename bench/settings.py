"""The stack's settings: Warble's own, plus one bench-only route (bench/urls.py).

The baseline row "ping ÷ hello" needs an unauthenticated DRF view served by the
same server and middleware as `/api/v1/ping`; it is not part of the product's
API (no schema, no authorization-matrix entry), so it lives in a URLconf only
the bench's stack loads.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
