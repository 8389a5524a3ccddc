"""Warble's URLs plus `GET /api/v1/bench/hello` (bench/settings.py)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as warble_urlpatterns

HELLO = "/api/v1/bench/hello"


class HelloView(APIView):
    """The same DRF view as ping, without authentication: ping ÷ hello is what
    authenticating a request costs (the issue's target: ≥ 0.8)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"hello": True})


urlpatterns = [path(HELLO.lstrip("/"), HelloView.as_view()), *warble_urlpatterns]
