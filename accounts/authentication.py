"""JWT authentication that honours server-side revocation of access tokens.

Every token carries the user's `token_version` as the "ver" claim; bumping the
version (password change, deactivation, erasure) makes all older tokens fail.
"""

from collections.abc import Mapping

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret
_MAX_ID = 2**63 - 1


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


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        token_user_id(validated_token.payload)  # before simplejwt queries with it
        user = super().get_user(validated_token)
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        if user.deactivated_at is not None:
            raise AuthenticationFailed("Account is deactivated.", code="user_inactive")
        return user
