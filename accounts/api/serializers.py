"""Input and output shapes of the accounts API. No business logic here."""

from django.contrib.auth.signals import user_logged_in
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import selectors, services
from accounts.authentication import (
    SESSION_ID_CLAIM,
    TOKEN_VERSION_CLAIM,
    new_session_id,
    token_session_id,
    token_user_id,
)
from accounts.models import User, username_validator
from accounts.schemas import ProfileSerializer
from core.fields import CleanCharField, StrictJSONSerializer


class CleanURLField(CleanCharField, serializers.URLField):
    """A URL, cleaned before it is checked (URLValidator lets bidi overrides through
    in host names)."""


class MeSerializer(ProfileSerializer):
    """The signed-in user's own profile: the public one plus private fields."""

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "email"]
        read_only_fields = fields


class RegisterSerializer(StrictJSONSerializer):
    username = serializers.CharField(min_length=3, max_length=30, validators=[username_validator])
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    display_name = CleanCharField(max_length=50, required=False, allow_blank=True)


class ProfileUpdateSerializer(StrictJSONSerializer):
    """The fields `PATCH /users/me` accepts. Counters, email, staff flags are not among them."""

    username = serializers.CharField(
        min_length=3, max_length=30, validators=[username_validator], required=False
    )
    # Cleaned as post text is (core.text): no control characters, bidi overrides
    # or invisible characters in what other users are shown.
    display_name = CleanCharField(max_length=50, required=False, allow_blank=True)
    bio = CleanCharField(max_length=160, required=False, allow_blank=True, single_line=False)
    location = CleanCharField(max_length=30, required=False, allow_blank=True)
    website = CleanURLField(max_length=200, required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False)


class PasswordChangeSerializer(StrictJSONSerializer):
    old_password = serializers.CharField(write_only=True, max_length=128)
    new_password = serializers.CharField(write_only=True, max_length=128)


class PasswordResetSerializer(StrictJSONSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictJSONSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(write_only=True, max_length=128)


class RefreshTokenSerializer(StrictJSONSerializer):
    refresh = serializers.CharField(max_length=2000)


class PasswordConfirmSerializer(StrictJSONSerializer):
    password = serializers.CharField(write_only=True, max_length=128)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenObtainSerializer(StrictJSONSerializer, TokenObtainPairSerializer):
    """Username or email plus password. Signing in reactivates a deactivated account."""

    username_field = "username"

    @classmethod
    def get_token(cls, user: User) -> RefreshToken:
        token = super().get_token(user)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        token[SESSION_ID_CLAIM] = new_session_id()  # a new session; refreshes keep it
        return token

    def validate(self, attrs):
        data = super().validate(attrs)
        services.user_reactivate_on_login(user=self.user)
        # simplejwt never sends it; django-axes needs it to clear the failure count
        # (AXES_RESET_ON_SUCCESS), and it records last_login, which also voids
        # password-reset links issued before this sign-in.
        user_logged_in.send(sender=type(self.user), request=self.context["request"], user=self.user)
        return data


class SessionRefreshToken(RefreshToken):
    """A refresh token that names a session: one issued before sessions existed
    gets a new sid when it is rotated (and its access token with it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if token_session_id(self.payload) is None:
            self[SESSION_ID_CLAIM] = new_session_id()


class TokenRotateSerializer(StrictJSONSerializer, TokenRefreshSerializer):
    """Refresh with rotation (the session id is kept); refuses tokens issued before
    a revocation or of a signed-out session."""

    token_class = SessionRefreshToken

    def validate(self, attrs):
        token = RefreshToken(attrs["refresh"])
        user = User.objects.filter(pk=token_user_id(token.payload)).first()
        if (
            user is None
            or token.payload.get(TOKEN_VERSION_CLAIM) != user.token_version
            or selectors.session_is_revoked(session_id=token_session_id(token.payload))
        ):
            raise AuthenticationFailed("Token has been revoked.", code="token_not_valid")
        return super().validate(attrs)
