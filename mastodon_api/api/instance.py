"""The instance: /api/v1/instance, /api/v2/instance, /.well-known/nodeinfo,
/nodeinfo/2.0. Limits come from the rules' own constants and the media settings."""

from django.conf import settings
from django.core.cache import cache
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import selectors as account_selectors
from core.degrade import cache_breaker
from mastodon_api.entities import base_url
from mastodon_api.paging import MAX_LIMIT
from mastodon_api.views import MastodonView
from media import imaging
from media import services as media_services
from tweets import selectors as tweet_selectors
from tweets.text import MAX_GRAPHEMES

WARBLE_VERSION = "0.1.0"
# What Mastodon version clients should assume (feature detection by version).
COMPATIBLE_VERSION = f"4.2.0 (compatible; Warble {WARBLE_VERSION})"


USAGE_KEY = "mastodon:instance:usage"
USAGE_SECONDS = 600  # counting every account and post is not for each client start


def _usage() -> dict[str, int]:
    """How many accounts and posts there are, counted at most every USAGE_SECONDS
    (counted every time while Redis is down)."""

    def count() -> dict[str, int]:
        return {
            "users": account_selectors.active_user_count(),
            "posts": tweet_selectors.post_count(),
        }

    found = cache_breaker.call(
        "instance usage is counted", lambda: cache.get(USAGE_KEY), lambda: None
    )
    if found is None:
        found = count()
        cache_breaker.call(
            "instance usage is counted",
            lambda: cache.set(USAGE_KEY, found, USAGE_SECONDS),
            lambda: None,
        )
    return found


def _media_limits() -> dict:
    return {
        "supported_mime_types": list(imaging.MIME_TYPES.values()),
        "image_size_limit": settings.MEDIA_UPLOAD_MAX_BYTES,
        "image_matrix_limit": settings.MEDIA_MAX_PIXELS,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def _statuses_limits() -> dict:
    return {
        "max_characters": MAX_GRAPHEMES,
        "max_media_attachments": media_services.MAX_ATTACHMENTS,
        "characters_reserved_per_url": 0,
    }


def _polls() -> dict:
    return {
        "max_options": 0,
        "max_characters_per_option": 0,
        "min_expiration": 0,
        "max_expiration": 0,
    }


def _domain(request) -> str:
    return request.get_host().split(":")[0]


class _Public(MastodonView):
    permission_classes = [AllowAny]
    authentication_classes = []


def streaming_url(base: str) -> str:
    """Where clients stream: MASTODON_STREAMING_URL (the ASGI server), else this host."""
    return settings.MASTODON_STREAMING_URL or base.replace("http", "ws", 1)


class InstanceV1View(_Public):
    def get(self, request):
        base = base_url(request)
        usage = _usage()
        return Response(
            {
                "uri": _domain(request),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "short_description": "A Warble server.",
                "description": "A Warble server: an X/Twitter-style social network.",
                "email": settings.MASTODON_CONTACT_EMAIL,
                "version": COMPATIBLE_VERSION,
                "urls": {"streaming_api": streaming_url(base)},
                "stats": {
                    "user_count": usage["users"],
                    "status_count": usage["posts"],
                    "domain_count": 1,
                },
                "thumbnail": None,
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    "accounts": {"max_featured_tags": 0},
                    "statuses": _statuses_limits(),
                    "media_attachments": _media_limits(),
                    "polls": _polls(),
                },
                "contact_account": None,
                "rules": [],
            }
        )


class InstanceV2View(_Public):
    def get(self, request):
        base = base_url(request)
        return Response(
            {
                "domain": _domain(request),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "version": COMPATIBLE_VERSION,
                "source_url": "https://github.com/warble/warble",
                "description": "A Warble server: an X/Twitter-style social network.",
                "usage": {"users": {"active_month": _usage()["users"]}},
                "thumbnail": {"url": f"{base}/static/mastodon_api/missing.png"},
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": streaming_url(base)},
                    "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
                    "statuses": _statuses_limits(),
                    "media_attachments": _media_limits(),
                    "polls": _polls(),
                    "translation": {"enabled": False},
                    "timelines_access": {
                        "live_feeds": {"local": "public", "remote": "disabled"},
                        "hashtag_feeds": {"local": "public", "remote": "disabled"},
                    },
                    "limits": {"page_size": MAX_LIMIT},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "api_versions": {"mastodon": 0},
                "contact": {"email": settings.MASTODON_CONTACT_EMAIL, "account": None},
                "rules": [],
            }
        )


class NodeInfoLinksView(_Public):
    def get(self, request):
        return Response(
            {
                "links": [
                    {
                        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                        "href": f"{base_url(request)}/nodeinfo/2.0",
                    }
                ]
            }
        )


class NodeInfoView(_Public):
    def get(self, request):
        usage = _usage()
        return Response(
            {
                "version": "2.0",
                "software": {"name": "warble", "version": WARBLE_VERSION},
                "protocols": [],
                "services": {"outbound": [], "inbound": []},
                "usage": {"users": {"total": usage["users"]}, "localPosts": usage["posts"]},
                "openRegistrations": False,
                "metadata": {"nodeName": settings.MASTODON_INSTANCE_TITLE},
            }
        )


class OAuthServerMetadataView(_Public):
    """RFC 8414 metadata, as Mastodon 4.3+ serves it (clients discover the grants)."""

    def get(self, request):
        base = base_url(request)
        return Response(
            {
                "issuer": f"{base}/",
                "service_documentation": f"{base}/",
                "authorization_endpoint": f"{base}/oauth/authorize",
                "token_endpoint": f"{base}/oauth/token",
                "revocation_endpoint": f"{base}/oauth/revoke",
                "app_registration_endpoint": f"{base}/api/v1/apps",
                "scopes_supported": list(settings.OAUTH2_PROVIDER["SCOPES"]),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": [
                    "authorization_code",
                    "password",
                    "client_credentials",
                    "refresh_token",
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
            }
        )
