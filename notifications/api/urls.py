from django.urls import path

import core.converters  # noqa: F401 - registers <id:...>
from notifications.api import stream, views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="notifications-list"),
    path(
        "notifications/unread-count",
        views.UnreadCountView.as_view(),
        name="notifications-unread-count",
    ),
    path("notifications/read", views.MarkReadView.as_view(), name="notifications-read"),
    path(
        "notifications/<id:notification_id>",
        views.NotificationDetailView.as_view(),
        name="notifications-detail",
    ),
    path(
        "users/me/notification-settings",
        views.NotificationSettingsView.as_view(),
        name="users-me-notification-settings",
    ),
    path("stream", stream.event_stream, name="stream"),
]
