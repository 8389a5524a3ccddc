"""ASGI entry point: HTTP goes to Django, WebSocket `/ws/` to Channels, and
WebSocket `/api/v1/streaming` to the Mastodon streaming consumer (mastodon_api.streaming).

In production the HTTP API runs under the WSGI server (faster here); the ASGI
server (daphne) serves the WebSockets, and channels-redis joins the two.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.websocket_auth import JWTAuthMiddleware  # noqa: E402
from config.heap import freeze_startup_objects  # noqa: E402
from config.secret_key import refuse_development_key  # noqa: E402
from core.request_limits import ASGIBodyLimit  # noqa: E402
from core.websocket_origin import BrowserOriginValidator  # noqa: E402
from mastodon_api.streaming.consumer import MastodonStreamingConsumer  # noqa: E402
from notifications.consumers import UserSocketConsumer  # noqa: E402

refuse_development_key(server="the ASGI server")

websocket_routes = URLRouter(
    [
        path(
            "ws/",
            BrowserOriginValidator(
                JWTAuthMiddleware(UserSocketConsumer.as_asgi()),
                settings.WEBSOCKET_ALLOWED_ORIGINS or settings.ALLOWED_HOSTS,
            ),
        ),
        # Mastodon's streaming socket. Its clients send their bearer token
        # themselves (header, subprotocol or query), never a cookie, so pages of
        # any origin may open it (Mastodon web clients are served from their own
        # origins); the consumer authenticates the token and refuses hosts that
        # are not MASTODON_API_HOSTS.
        path("api/v1/streaming", MastodonStreamingConsumer.as_asgi()),
    ]
)

application = ProtocolTypeRouter(
    {
        # Django's ASGI handler spools a body of any size before its middleware runs.
        "http": ASGIBodyLimit(django_asgi_app),
        "websocket": websocket_routes,
    }
)
freeze_startup_objects()  # last: what is loaded by now lives as long as the process
