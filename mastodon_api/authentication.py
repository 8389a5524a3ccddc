"""OAuth 2 access tokens (django-oauth-toolkit) as a DRF authentication, and
Mastodon's scopes as a DRF permission.

`OAuthTokenAuthentication` authenticates the Mastodon API and the native API
alike (it is first in DEFAULT_AUTHENTICATION_CLASSES). A JWT-shaped bearer token
(three dot-separated parts) is left to `accounts.authentication.JWTAuthentication`;
any other bearer token is looked up as an OAuth access token in one query with
its user and the user's token version at issue (`AccessTokenVersion`). The same
rules as for JWTs apply: an unknown, expired or revoked token, a suspended,
deactivated or erased user, or a token issued before the user's tokens were
revoked (password change/reset, deactivation, suspension: `revoke_tokens` bumps
`User.token_version`) answers 401.

Scopes: a view of this app declares `required_scopes` (one scope per method, see
`ScopePermission`); on the native API an OAuth token needs a read scope for safe
methods and a write (or follow) scope for the others. JWTs are Warble's own
first-party sign-in and carry every scope.
"""

import hashlib

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.authentication import bearer_token

OUTSIDE_SCOPES = "This action is outside the authorized scopes"


def token_scopes(token: AccessToken) -> frozenset[str]:
    return frozenset(token.scope.split())


def scope_allows(granted: frozenset[str], required: str) -> bool:
    """Whether granted scopes cover `required` (Mastodon's rules: `read` covers every
    `read:*`, `write` every `write:*`, `follow` the follow/block/mute sub-scopes)."""
    if required in granted:
        return True
    top, _, sub = required.partition(":")
    if sub and top in granted:
        return True
    return bool(
        sub in {"follows", "blocks", "mutes"} and top in {"read", "write"} and "follow" in granted
    )


class OAuthTokenAuthentication(BaseAuthentication):
    www_authenticate_realm = "Warble"

    def authenticate(self, request):
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if token is None or token.count(".") == 2:  # none, or a JWT: not ours
            return None
        checksum = hashlib.sha256(token.encode()).hexdigest()
        access = (
            AccessToken.objects.select_related("user", "application", "warble_version")
            .filter(token_checksum=checksum)
            .first()
        )
        if access is None or access.expires <= timezone.now():
            raise exceptions.AuthenticationFailed(
                "The access token is invalid", code="token_not_valid"
            )
        user = access.user
        if user is None:  # client_credentials: the app itself, no user
            return (_AppOnlyUser(), access)
        version = getattr(access, "warble_version", None)
        if (
            not user.is_active
            or user.deactivated_at is not None
            or version is None
            or version.token_version != user.token_version
        ):
            raise exceptions.AuthenticationFailed(
                "The access token was revoked", code="token_revoked"
            )
        user.token_session_id = None  # no JWT session: logout is POST /oauth/revoke
        view = (getattr(request, "parser_context", None) or {}).get("view")
        # A native view: the coarse rule (ScopePermission's fallback).
        native = view is not None and not hasattr(view, "required_scopes")
        if native and not _coarse_allows(request.method, token_scopes(access)):
            raise exceptions.PermissionDenied(OUTSIDE_SCOPES, code="permission_denied")
        return (user, access)

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'


class _AppOnlyUser:
    """The user of a client_credentials token: an app, no account. Only app-level
    routes (`GET /api/v1/apps/verify_credentials`) accept it."""

    pk = None
    id = None
    is_authenticated = False  # IsAuthenticated refuses it
    is_anonymous = True
    is_active = False
    is_staff = False


def _coarse_allows(method: str, granted: frozenset[str]) -> bool:
    """A route without declared scopes: any read scope for safe methods, any
    write or follow scope for the others."""
    if method in SAFE_METHODS:
        return any(s == "read" or s.startswith("read:") for s in granted)
    return bool(granted & {"write", "follow"}) or any(s.startswith("write:") for s in granted)


def is_oauth(request) -> bool:
    return isinstance(getattr(request, "auth", None), AccessToken)


class ScopePermission(BasePermission):
    """Mastodon's per-route scopes for OAuth tokens (403 outside them).

    The view names one scope per method in `required_scopes`, e.g.
    `{"GET": "read:statuses", "POST": "write:statuses"}` (a method missing from it
    falls back to "read" for safe methods and "write" for the others). Native
    views have no `required_scopes`: the same fallback applies. JWTs pass.
    """

    message = OUTSIDE_SCOPES

    def has_permission(self, request, view) -> bool:
        if not is_oauth(request):
            return True
        granted = token_scopes(request.auth)
        required = getattr(view, "required_scopes", {}).get(request.method)
        if required is None:
            return _coarse_allows(request.method, granted)
        return scope_allows(granted, required)
