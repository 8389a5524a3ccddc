"""ASGI entry point: HTTP goes to Django, WebSocket `/ws/` to Channels.

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
from config.secret_key import refuse_development_key  # noqa: E402
from core.request_limits import ASGIBodyLimit  # noqa: E402
from core.websocket_origin import BrowserOriginValidator  # noqa: E402
from notifications.consumers import UserSocketConsumer  # noqa: E402

refuse_development_key(server="the ASGI server")

websocket_routes = URLRouter([path("ws/", UserSocketConsumer.as_asgi())])

application = ProtocolTypeRouter(
    {
        # Django's ASGI handler spools a body of any size before its middleware runs.
        "http": ASGIBodyLimit(django_asgi_app),
        "websocket": BrowserOriginValidator(
            JWTAuthMiddleware(websocket_routes),
            settings.WEBSOCKET_ALLOWED_ORIGINS or settings.ALLOWED_HOSTS,
        ),
    }
)
