"""The URLconf of the Mastodon hosts (MASTODON_API_HOSTS; mastodon_api.middleware).

Everything a Mastodon client calls lives at the root of its instance URL:
/api/v1, /api/v2, /oauth, /.well-known, /nodeinfo. Part A (apps, instance,
accounts, statuses, timelines, markers) is `mastodon_api.api.urls`, part B
`mastodon_api.api.urls_b`; the OAuth endpoints are here.
"""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth_views

from core import errors, health
from mastodon_api.oauth import AuthorizeView

urlpatterns = [
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    path("oauth/authorize", AuthorizeView.as_view(), name="mastodon-oauth-authorize"),
    path("oauth/token", oauth_views.TokenView.as_view(), name="mastodon-oauth-token"),
    path("oauth/revoke", oauth_views.RevokeTokenView.as_view(), name="mastodon-oauth-revoke"),
    path("healthz", health.healthz),
    path("", include("mastodon_api.api.urls")),
    path("", include("mastodon_api.api.urls_b")),
    re_path(r"^(?:api|oauth|nodeinfo|\.well-known)(?:/|$)", csrf_exempt(errors.not_found)),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error
