"""Authenticate WebSocket connections with a JWT access token.

Non-browser clients send `Authorization: Bearer <token>`; browsers, which
cannot set headers on a WebSocket, send the token as the subprotocol
`bearer.<token>` or as the `token` query parameter. The resolved user (or
AnonymousUser) is put in `scope["user"]`; the consumer decides what to do.

Revocation (`accounts.services.revoke_tokens`: password change or reset,
deactivation, erasure) is announced after commit to the user's open sockets
and event streams, which close with 4401 if their token is older.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

from accounts.authentication import JWTAuthentication
from accounts.models import User
from core import realtime

SUBPROTOCOL_PREFIX = "bearer."
# Channel-layer control message to the user's group: {"type", "version"};
# consumers handle it in `tokens_revoked`.
TOKENS_REVOKED = "tokens.revoked"


def token_from_scope(scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(SUBPROTOCOL_PREFIX):
            return protocol[len(SUBPROTOCOL_PREFIX) :]
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


@database_sync_to_async
def user_for_token(raw: str):
    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw.encode()))
    except (TokenError, AuthenticationFailed):  # InvalidToken is an AuthenticationFailed
        return AnonymousUser()


class JWTAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = token_from_scope(scope)
        scope = dict(scope, user=await user_for_token(raw) if raw else AnonymousUser())
        return await self.inner(scope, receive, send)


def announce_revocation(*, user_id: int, token_version: int) -> None:
    """After commit, tell the user's open connections that tokens older than
    `token_version` no longer count (best effort, like every push: a connection
    that misses it still ends at its token's expiry)."""
    realtime.send_to_group(
        group=realtime.user_group(user_id),
        message={"type": TOKENS_REVOKED, "version": token_version},
    )


def revokes(message: dict, *, token_version: int) -> bool:
    """Whether a channel-layer message revokes a connection made with `token_version`."""
    return message.get("type") == TOKENS_REVOKED and message.get("version", 0) > token_version


@database_sync_to_async
def token_still_valid(*, user_id: int, token_version: int) -> bool:
    """Asked once a connection has joined its group: a revocation announced between
    authenticating and joining reached no one, so the database decides."""
    return User.objects.filter(
        pk=user_id, token_version=token_version, deactivated_at__isnull=True
    ).exists()
