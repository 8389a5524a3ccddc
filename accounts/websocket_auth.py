"""Authenticate WebSocket connections with a JWT access token.

Non-browser clients send `Authorization: Bearer <token>`; browsers, which
cannot set headers on a WebSocket, send the token as the subprotocol
`bearer.<token>` or as the `token` query parameter. The resolved user (or
AnonymousUser) is put in `scope["user"]`; the consumer decides what to do.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

from accounts.authentication import JWTAuthentication

SUBPROTOCOL_PREFIX = "bearer."


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
