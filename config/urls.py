"""Routes: the versioned API, its schema and docs, health probes, the admin."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

import core.converters  # noqa: F401 - registers the <id:...> path converter
from config.schema import CachedSchemaView
from core import errors, health


class OfflineRedocView(SpectacularRedocView):
    """ReDoc that loads nothing from the internet (the docs work offline).

    The template drops drf-spectacular's Google Fonts links. The sidecar's
    bundle still renders Redocly's logo from cdn.redoc.ly in the sidebar
    (unconditionally, no option turns it off); the policy below makes the
    browser refuse it and any other outside image, font, stylesheet or fetch.
    """

    template_name = "config/redoc.html"
    CONTENT_SECURITY_POLICY = (
        "img-src 'self' data: blob:; font-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; connect-src 'self'"
    )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = self.CONTENT_SECURITY_POLICY
        return response


def _redirect_to(name: str):
    # GET/HEAD only (anything else: 405); CSRF-exempt so that is a 405, not a 403.
    view = RedirectView.as_view(
        pattern_name=name, query_string=True, http_method_names=["get", "head"]
    )
    return csrf_exempt(view)


# Django tries the patterns in order: the ping (the benchmark's baseline, one pattern)
# first, then the apps of the hot paths (feed, posts). No two apps share a route.
api_v1 = [
    path("", include("core.api")),
    path("", include("tweets.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("media.api.urls")),
    path("", include("relationships.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("moderation.api.urls")),
    path("", include("search.api.urls")),
]

# Processed media from the local folder, only when DEBUG (static() adds nothing
# otherwise): a web server or the S3 store serves them in production.
urlpatterns = [
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    path("api/v1/", include(api_v1)),
    path("api/schema/", CachedSchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # The docs without their slash: the catch-all below would answer them 404.
    path("api/docs", _redirect_to("swagger-ui")),
    path("api/redoc", _redirect_to("redoc")),
    path("api/schema", _redirect_to("schema")),
    # Unknown API routes answer 404 in the one error format for every method, even
    # with DEBUG on. CSRF-exempt: it reads nothing, and without that Django's CSRF
    # check would answer an unknown POST/PUT/PATCH/DELETE 403 instead of 404.
    re_path(r"^api(/|$)", csrf_exempt(errors.not_found)),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error
