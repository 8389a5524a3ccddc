"""Who a streaming connection is: the same bearer tokens as the Mastodon REST
API (an OAuth access token, mastodon_api.authentication, or a Warble JWT,
accounts.authentication), resolved by those classes — no second copy of the
token rules — plus what a long-lived connection needs to know later: the
token's scopes, its expiry, and the user's token version and session at connect
(a `tokens.revoked` message newer than them closes the connection).
"""

import time
from dataclasses import dataclass
from types import SimpleNamespace

from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.authentication import bearer_token
from accounts.websocket_auth import token_still_valid, user_for_raw_token
from mastodon_api.authentication import OAuthTokenAuthentication, scope_allows, token_scopes
from notifications.consumers import token_expiry

ALL_SCOPES = frozenset({"read", "write", "follow", "push"})  # a JWT: Warble's own sign-in
# Mastodon's streaming server: `user` and the public streams need read:statuses,
# `user:notification` read:notifications (the `user` stream's notification
# events need it too).
STREAM_SCOPES = {"user:notification": "read:notifications"}
DEFAULT_STREAM_SCOPE = "read:statuses"


@dataclass(frozen=True)
class StreamAuth:
    raw: str
    user: object
    scopes: frozenset[str]
    expires_at: float | None
    token_version: int
    session_id: str | None
    oauth: bool


def bearer(header: bytes | str | None) -> str | None:
    try:
        return bearer_token(header)
    except AuthenticationFailed:
        return None


def authenticate(raw: str) -> StreamAuth | None:
    """The connection's identity, or None for a bad, expired or revoked token (sync)."""
    if raw.count(".") == 2:  # a JWT
        user = user_for_raw_token(raw)
        if not user.is_authenticated:
            return None
        return StreamAuth(
            raw=raw,
            user=user,
            scopes=ALL_SCOPES,
            expires_at=token_expiry(raw),
            token_version=user.token_version,
            session_id=getattr(user, "token_session_id", None),
            oauth=False,
        )
    request = SimpleNamespace(META={"HTTP_AUTHORIZATION": f"Bearer {raw}"}, method="GET")
    try:
        found = OAuthTokenAuthentication().authenticate(request)
    except APIException:
        return None
    if found is None or not getattr(found[0], "is_authenticated", False):
        return None  # no user: an app's client_credentials token streams nothing
    user, access = found
    return StreamAuth(
        raw=raw,
        user=user,
        scopes=token_scopes(access),
        expires_at=access.expires.timestamp() if access.expires else None,
        token_version=user.token_version,
        session_id=None,
        oauth=True,
    )


aauthenticate = database_sync_to_async(authenticate)


async def aauthenticate_request(request) -> StreamAuth | None:
    """A request's token: `Authorization: Bearer`, or `?access_token=` (EventSource)."""
    raw = bearer(request.META.get("HTTP_AUTHORIZATION")) or request.GET.get("access_token")
    return await aauthenticate(raw) if raw else None


def _still_valid(auth: StreamAuth) -> bool:
    if auth.expires_at is not None and auth.expires_at <= time.time():
        return False
    if auth.oauth:
        again = authenticate(auth.raw)  # deleted by /oauth/revoke, or the user's revoked
        return again is not None and again.token_version == auth.token_version
    return bool(
        token_still_valid.func(  # type: ignore[attr-defined]
            user_id=auth.user.pk,  # type: ignore[attr-defined]
            token_version=auth.token_version,
            session_id=auth.session_id,
        )
    )


astill_valid = database_sync_to_async(_still_valid)


def next_check(auth: StreamAuth) -> float:
    """Seconds until the connection should check its token again: every
    NOTIFICATIONS_WS_HEARTBEAT_SECONDS, or at its expiry if sooner."""
    period = float(settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS)
    if auth.expires_at is not None:
        return max(0.0, min(period, auth.expires_at - time.time()))
    return period


def missing_scope(auth: StreamAuth, stream: str) -> str | None:
    """The scope the token lacks for `stream`, or None."""
    required = STREAM_SCOPES.get(stream, DEFAULT_STREAM_SCOPE)
    return None if scope_allows(auth.scopes, required) else required


def may_read_notifications(auth: StreamAuth) -> bool:
    return scope_allows(auth.scopes, "read:notifications")
