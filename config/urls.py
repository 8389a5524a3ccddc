"""Routes: the versioned API, its schema and docs, health probes, the admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

import core.converters  # noqa: F401 - registers the <id:...> path converter
from core import errors, health

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("tweets.api.urls")),
    path("", include("relationships.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("core.api")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # Unknown API routes answer in the one error format even with DEBUG on.
    re_path(r"^api/", errors.not_found),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error
