"""Authenticate WebSocket connections with a JWT access token.

Non-browser clients send `Authorization: Bearer <token>` (the scheme in any
case); browsers, which cannot set headers on a WebSocket, send the token as the
subprotocol `bearer.<token>` (preferred: it stays out of URLs) or as the `token`
query parameter (redacted from access logs: core.log_redaction). The resolved
user (or AnonymousUser) is put in `scope["user"]`, with the token's session id
as `user.token_session_id`; the consumer decides what to do.

Revocation is announced after commit to the user's open sockets and event
streams: `accounts.services.revoke_tokens` (password change or reset,
deactivation, erasure) closes those whose token is older (4401), a sign-out
(`accounts.services.session_sign_out`) those of its session only.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

from accounts.authentication import JWTAuthentication, bearer_token
from accounts.models import RevokedSession, User
from core import realtime

SUBPROTOCOL_PREFIX = "bearer."
# Channel-layer control message to the user's group: {"type", "version"} (tokens
# older than the version) or {"type", "sid"} (one session's tokens); consumers
# handle it in `tokens_revoked`.
TOKENS_REVOKED = "tokens.revoked"


def token_from_scope(scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    try:
        token = bearer_token(headers.get(b"authorization"))
    except AuthenticationFailed:
        return None  # a malformed header: no token, the socket closes with 4401
    if token is not None:
        return token
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(SUBPROTOCOL_PREFIX):
            return protocol[len(SUBPROTOCOL_PREFIX) :]
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


def user_for_raw_token(raw: str):
    """The user of an access token, or AnonymousUser (sync)."""
    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw.encode()))
    except (TokenError, AuthenticationFailed):  # InvalidToken is an AuthenticationFailed
        return AnonymousUser()


# For long-lived ASGI connections: channels closes stale database connections around it.
user_for_token = database_sync_to_async(user_for_raw_token)


class JWTAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = token_from_scope(scope)
        scope = dict(scope, user=await user_for_token(raw) if raw else AnonymousUser())
        return await self.inner(scope, receive, send)


def announce_revocation(
    *, user_id: int, token_version: int | None = None, session_id: str | None = None
) -> None:
    """After commit, tell the user's open connections that tokens older than
    `token_version`, or those of the session `session_id`, no longer count (best
    effort, like every push: a connection that misses it still ends at its
    token's expiry)."""
    message: dict[str, object] = {"type": TOKENS_REVOKED}
    if token_version is not None:
        message["version"] = token_version
    if session_id is not None:
        message["sid"] = session_id
    realtime.send_to_group(group=realtime.user_group(user_id), message=message)


def revokes(message: dict, *, token_version: int, session_id: str | None = None) -> bool:
    """Whether a channel-layer message revokes a connection made with a token of
    `token_version` and `session_id`."""
    if message.get("type") != TOKENS_REVOKED:
        return False
    if message.get("version", 0) > token_version:
        return True
    return session_id is not None and message.get("sid") == session_id


@database_sync_to_async
def token_still_valid(*, user_id: int, token_version: int, session_id: str | None = None) -> bool:
    """Asked once a connection has joined its group: a revocation announced between
    authenticating and joining reached no one, so the database decides."""
    valid = User.objects.filter(
        pk=user_id, token_version=token_version, deactivated_at__isnull=True
    ).exists()
    if valid and session_id is not None:
        valid = not RevokedSession.objects.filter(sid=session_id).exists()
    return valid
