"""PART B of issue 19: notifications, search, trends, media, streaming (owned by
the masto2 branch). Included by mastodon_api.root_urls at the root of the
Mastodon hosts. The WebSocket `/api/v1/streaming` is routed by config.asgi."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

import core.converters  # noqa: F401 - registers <id:...> (beyond 64 bits: 404, not 500)
from mastodon_api.api import instance, media, notifications, search
from mastodon_api.streaming import sse

urlpatterns = [
    # Mastodon.py asks for the instance with a trailing slash (`/api/v1/instance/`)
    # before it streams (its streaming URL is `urls.streaming_api`).
    path("api/v1/instance/", instance.InstanceV1View.as_view()),
    path("api/v2/instance/", instance.InstanceV2View.as_view()),
    # notifications
    path("api/v1/notifications", notifications.NotificationListView.as_view()),
    path("api/v1/notifications/clear", notifications.NotificationClearView.as_view()),
    path("api/v2/notifications", notifications.GroupedNotificationListView.as_view()),
    path(
        "api/v1/notifications/<id:notification_id>",
        notifications.NotificationDetailView.as_view(),
    ),
    path(
        "api/v1/notifications/<id:notification_id>/dismiss",
        notifications.NotificationDismissView.as_view(),
    ),
    # search and trends
    path("api/v2/search", search.SearchView.as_view()),
    path("api/v1/trends", search.TrendingTagsView.as_view()),
    path("api/v1/trends/tags", search.TrendingTagsView.as_view()),
    path("api/v1/trends/statuses", search.TrendingStatusesView.as_view()),
    path("api/v1/trends/links", search.TrendingLinksView.as_view()),
    # media
    path("api/v1/media", media.MediaUploadView.as_view(), name="mastodon-media-v1"),
    path("api/v2/media", media.MediaUploadView.as_view(), name="mastodon-media-v2"),
    path("api/v1/media/<id:media_id>", media.MediaDetailView.as_view()),
    # streaming (Server-Sent Events; served by the ASGI server)
    path("api/v1/streaming/health", csrf_exempt(sse.health)),
    path("api/v1/streaming/user", sse.stream_view("user")),
    path("api/v1/streaming/user/notification", sse.stream_view("user:notification")),
    path("api/v1/streaming/public", sse.stream_view("public")),
    path("api/v1/streaming/public/local", sse.stream_view("public:local")),
    path("api/v1/streaming/hashtag", sse.stream_view("hashtag")),
    path("api/v1/streaming/hashtag/local", sse.stream_view("hashtag:local")),
]
