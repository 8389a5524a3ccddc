"""Accounts API: parse input, call one service or selector, render output."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.api import serializers as s
from accounts.authentication import JWTAuthentication
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.schema import NO_CONTENT, error_responses
from core.throttling import ScopedRateThrottle

AUTH = ["auth"]


class AuthThrottled:
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottled, APIView):
    # What the services refuse (core.schema): taken names, weak passwords.
    validation_errors = {
        "post": {"username": {"unique"}, "email": {"unique"}, "password": {"invalid"}}
    }
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "register"

    @extend_schema(
        tags=AUTH,
        summary="Create an account",
        request=s.RegisterSerializer,
        responses={201: s.ProfileSerializer, **error_responses(409, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(s.ProfileSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Sign in (username or email + password)",
        responses={200: s.TokenPairSerializer},
    )
)
class TokenObtainView(AuthThrottled, jwt_views.TokenObtainPairView):
    answers_401 = True  # wrong credentials (core.schema)
    authentication_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        # django-axes marks the request it authenticated, which is DRF's wrapper;
        # its middleware turns the mark into the 429 from the Django request.
        if getattr(request, "axes_locked_out", False):
            request._request.axes_locked_out = True
            request._request.axes_credentials = getattr(request, "axes_credentials", None)
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Exchange a refresh token for new tokens (the old one stops working)",
        responses={200: s.TokenPairSerializer},
    )
)
class TokenRefreshView(AuthThrottled, jwt_views.TokenRefreshView):
    answers_401 = True  # a bad or revoked refresh token
    authentication_classes = []


class LogoutView(AuthThrottled, APIView):
    answers_401 = True
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        # Without it DRF turns the bad-token 401 into a 403 (no authenticator to ask).
        return JWTAuthentication().authenticate_header(request)

    @extend_schema(
        tags=AUTH,
        summary="Sign out this session: its refresh and access tokens stop working",
        description=(
            "Revokes the session the refresh token belongs to: the refresh token, and "
            "every access token of the session at once (HTTP, WebSocket handshake, "
            "event stream); its open sockets close with 4401 and its event streams end "
            "with `token.revoked`. The account's other sessions stay signed in. A token "
            "pair issued before sessions existed (no `sid` claim) only loses its "
            "refresh token; its access token works until it expires."
        ),
        request=s.RefreshTokenSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request):
        data = s.RefreshTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        services.session_sign_out(refresh=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(AuthThrottled, APIView):
    validation_errors = {"post": {"old_password": {"invalid"}, "new_password": {"invalid"}}}

    @extend_schema(
        tags=AUTH,
        summary="Change the password (signs out every other session)",
        request=s.PasswordChangeSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request):
        data = s.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(AuthThrottled, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "password_reset"

    @extend_schema(
        tags=AUTH,
        summary="Email a password reset link (same answer whether or not the email is known)",
        request=s.PasswordResetSerializer,
        responses={202: NO_CONTENT},
    )
    def post(self, request):
        data = s.PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(AuthThrottled, APIView):
    validation_errors = {"post": {"token": {"invalid"}, "new_password": {"invalid"}}}
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        tags=AUTH,
        summary="Set a new password with the emailed uid and token",
        request=s.PasswordResetConfirmSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request):
        data = s.PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    validation_errors = {"patch": {"username": {"unique"}}, "delete": {"password": {"invalid"}}}

    @extend_schema(tags=["users"], summary="Your own profile", responses={200: s.MeSerializer})
    def get(self, request):
        return Response(s.MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        tags=["users"],
        summary="Update your profile",
        request=s.ProfileUpdateSerializer,
        responses={200: s.MeSerializer},
    )
    def patch(self, request):
        data = s.ProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(s.MeSerializer(user, context={"request": request}).data)

    @extend_schema(
        tags=["users"],
        summary="Delete your account (erases personal data; needs your password)",
        request=s.PasswordConfirmSerializer,
        responses={204: NO_CONTENT},
    )
    def delete(self, request):
        data = s.PasswordConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_erase(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeactivateView(APIView):
    validation_errors = {"post": {"password": {"invalid"}}}

    @extend_schema(
        tags=["users"],
        summary="Deactivate your account (hidden until you sign in again; needs your password)",
        request=s.PasswordConfirmSerializer,
        responses={204: NO_CONTENT},
    )
    def post(self, request):
        data = s.PasswordConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_deactivate(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
