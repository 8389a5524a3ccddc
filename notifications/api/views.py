"""Notifications API: parse input, call one service or selector, render output.

Only ever the caller's own notifications: someone else's id is simply not
found among them (a DELETE of it answers 204 and changes nothing).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import KeysetPagination
from core.schema import NO_CONTENT
from notifications import selectors, services
from notifications.api import serializers as s
from notifications.rendering import render_notifications

TAGS = ["notifications"]


class NotificationPagination(KeysetPagination):
    """Newest first by list position (`sort_id`), so a re-surfaced one moves up."""

    key_field = "sort_id"


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Your notifications, newest first",
        description=(
            "Each embeds its actor and its target (a post in the posts API's shape, a user, "
            "or null). A notification that happens again after you read it moves back to "
            "the top, unread, with the same id."
        ),
        parameters=[s.NotificationQuerySerializer],
    )
)
class NotificationListView(ListAPIView):
    pagination_class = NotificationPagination
    serializer_class = s.NotificationSerializer

    def list(self, request, *args, **kwargs):
        query = s.NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.notification_list(
            user=request.user,
            unread=query.validated_data.get("unread"),
            verbs=query.validated_data.get("types"),
        )
        page = self.paginate_queryset(rows)
        data = render_notifications(viewer=request.user, notifications=page, request=request)
        return self.get_paginated_response(data)


class UnreadCountView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="How many notifications you have not read",
        responses=s.UnreadCountSerializer,
    )
    def get(self, request):
        return Response({"count": selectors.unread_count(user=request.user)})


class MarkReadView(APIView):
    validation_errors = {"post": {"non_field_errors": {"one_of_ids_all_max_id"}}}  # core.schema

    @extend_schema(
        tags=TAGS,
        summary="Mark notifications read: some ids, all, or everything up to max_id",
        request=s.MarkReadSerializer,
        responses=s.MarkReadResultSerializer,
    )
    def post(self, request):
        data = s.MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        marked = services.notifications_mark_read(
            user=request.user,
            ids=values.get("ids"),
            read_all=bool(values.get("all")),
            max_id=values.get("max_id"),
        )
        return Response(
            {"marked": marked, "unread_count": selectors.unread_count(user=request.user)}
        )


class NotificationDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Delete one of your notifications (204 whether or not it existed)",
        responses={204: NO_CONTENT},
    )
    def delete(self, request, notification_id: int):
        services.notification_delete(user=request.user, notification_id=notification_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationSettingsView(APIView):
    validation_errors = {"patch": {"email": {"unknown_verb", "invalid"}}}
    partial_patch = False  # `email` is required; verbs left out of it keep their value

    @extend_schema(
        tags=TAGS,
        summary="Your notification settings (email digests per verb)",
        responses=s.NotificationSettingsSerializer,
    )
    def get(self, request):
        row = selectors.settings_for(user=request.user)
        return Response(s.NotificationSettingsSerializer(row).data)

    @extend_schema(
        tags=TAGS,
        summary="Switch email digests on or off per verb (verbs not sent keep their value)",
        request=s.NotificationSettingsUpdateSerializer,
        responses=s.NotificationSettingsSerializer,
    )
    def patch(self, request):
        data = s.NotificationSettingsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.settings_update(user=request.user, email=data.validated_data["email"])
        return Response(s.NotificationSettingsSerializer(row).data)
