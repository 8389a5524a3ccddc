"""JWT authentication that honours server-side revocation of access tokens.

Every token carries the user's `token_version` as the "ver" claim; bumping the
version (password change, deactivation, erasure) makes all older tokens fail.
"""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        if user.deactivated_at is not None:
            raise AuthenticationFailed("Account is deactivated.", code="user_inactive")
        return user
