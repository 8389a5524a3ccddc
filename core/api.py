"""GET /api/v1/ping: the cheapest authenticated API request.

The benchmark's baseline (bench/): the same server, middleware, JWT check and
throttles as every other endpoint, and no work of its own, so every other
figure can be read as a ratio to it.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["meta"],
        summary='Answer {"pong": true} to an authenticated client (the benchmark\'s baseline)',
        responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"pong": True})


urlpatterns = [path("ping", PingView.as_view(), name="ping")]
