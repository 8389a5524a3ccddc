"""A write endpoint for the broker-down test (tests/integration/test_events_broker_down.py)."""

from django.urls import path
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from tests.eventapp import services


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def create_effect(request):
    event_id = services.effect_create(n=int(request.data.get("n", 0)))
    return Response({"event_id": str(event_id)}, status=201)


urlpatterns = [path("effects", create_effect)]
