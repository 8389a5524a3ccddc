"""JWT authentication that honours server-side revocation of access tokens.

Every token carries the user's `token_version` as the "ver" claim; bumping the
version (password change, deactivation, erasure) makes all older tokens fail.
Every token pair also carries a session id, the "sid" claim, given at sign-in
and kept by refresh rotation; signing out records the sid as revoked
(`accounts.models.RevokedSession`), which fails that session's access tokens
too, and no other session's. Tokens issued before sessions existed have no sid:
they keep working until they expire, and a refresh gives the pair a sid.

The one reader of `Authorization` headers for HTTP, the WebSocket handshake and
the event stream is `bearer_token`: the scheme name is case-insensitive (RFC
7235 §2.1), so `bearer <token>` works everywhere `Bearer <token>` does.
"""

import uuid
from collections.abc import Mapping

from django.db.models import Exists
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import RevokedSession, User

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret
SESSION_ID_CLAIM = "sid"
AUTH_SCHEME = "bearer"
_MAX_ID = 2**63 - 1


def bearer_token(header: bytes | str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme in any case);
    None without one or for another scheme. A bearer header that is not exactly
    `<scheme> <token>` is an AuthenticationFailed (401), as simplejwt has it."""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    parts = (header or "").split()
    if not parts or parts[0].lower() != AUTH_SCHEME:
        return None
    if len(parts) != 2:
        raise AuthenticationFailed(
            "Authorization header must contain two space-delimited values",
            code="bad_authorization_header",
        )
    return parts[1]


def token_user_id(payload: Mapping[str, object]) -> int:
    """The user id a signed token names, or InvalidToken (401).

    simplejwt looks the claim up as given, so a signed token whose `user_id` is
    not an id ("abc", 1.5, a list) made the lookup raise a 500 on HTTP and break
    the WebSocket handshake. Ours are digit strings (simplejwt writes str(id))."""
    value = payload.get(api_settings.USER_ID_CLAIM)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        raise InvalidToken("Token contained no recognizable user identification")
    if not 1 <= number <= _MAX_ID:
        raise InvalidToken("Token contained no recognizable user identification")
    return number


def new_session_id() -> str:
    return uuid.uuid4().hex


def token_session_id(payload: Mapping[str, object]) -> str | None:
    """The session id of a signed token (32 hex digits), None for a token issued
    before sessions existed, InvalidToken (401) for anything else."""
    value = payload.get(SESSION_ID_CLAIM)
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 32:
        try:
            return uuid.UUID(hex=value).hex
        except ValueError:
            pass
    raise InvalidToken("Token contained no recognizable session")


def authenticated_user(payload: Mapping[str, object]) -> User:
    """The user a validated token stands for, in one query, or AuthenticationFailed:
    unknown or suspended user, revoked tokens (token version or signed-out session),
    deactivated account. The token's session id is left on the user as
    `token_session_id` (sockets and streams close when that session signs out)."""
    user_id = token_user_id(payload)  # before querying with it
    sid = token_session_id(payload)
    users = User.objects.filter(pk=user_id)
    if sid is not None:  # the same query: no extra round trip per request
        users = users.annotate(session_revoked=Exists(RevokedSession.objects.filter(sid=sid)))
    user = users.first()
    if user is None:
        raise AuthenticationFailed("User not found", code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed("User is inactive", code="user_inactive")
    if payload.get(TOKEN_VERSION_CLAIM) != user.token_version or getattr(
        user, "session_revoked", False
    ):
        raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
    if user.deactivated_at is not None:
        raise AuthenticationFailed("Account is deactivated.", code="user_inactive")
    user.token_session_id = sid  # type: ignore[attr-defined]
    return user


class JWTAuthentication(authentication.JWTAuthentication):
    def get_raw_token(self, header):
        token = bearer_token(header)
        return None if token is None else token.encode("latin-1")

    def get_user(self, validated_token):
        return authenticated_user(validated_token.payload)
