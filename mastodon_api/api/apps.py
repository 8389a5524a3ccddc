"""`POST /api/v1/apps`, `GET /api/v1/apps/verify_credentials`."""

from oauth2_provider.models import AccessToken
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from mastodon_api import oauth
from mastodon_api.views import MastodonView


class _ScopesField(serializers.CharField):
    def to_internal_value(self, data):
        value = " ".join(str(super().to_internal_value(data)).split()) or "read"
        from django.conf import settings

        known = settings.OAUTH2_PROVIDER["SCOPES"]
        unknown = [s for s in value.split() if s not in known]
        if unknown:
            raise serializers.ValidationError(f"Unknown scopes: {', '.join(unknown)}.")
        return value


class _UrisField(serializers.Field):
    """A list of URIs (JSON) or one string of URIs separated by spaces/newlines (forms)."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and dictionary.getlist("redirect_uris[]"):
            return dictionary.getlist("redirect_uris[]")
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data.split()
        if isinstance(data, list):
            return data
        raise serializers.ValidationError("Give a list of URIs or a string.")

    def to_representation(self, value):
        return value


class AppInput(serializers.Serializer):
    client_name = serializers.CharField(max_length=255)
    redirect_uris = _UrisField()
    scopes = _ScopesField(required=False, default="read", allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)

    def validate_redirect_uris(self, value):
        uris = value
        if not uris or not all(isinstance(u, str) and u.strip() for u in uris):
            raise serializers.ValidationError("Give at least one redirect URI.")
        for uri in uris:
            if uri != oauth.OOB and ("://" not in uri or len(uri) > 2000):
                raise serializers.ValidationError(f"Not an absolute URI: {uri[:100]}")
        return [u.strip() for u in uris]


def app_entity(app, *, secret: str | None = None) -> dict:
    info = getattr(app, "mastodon", None)
    uris = app.redirect_uris.split()
    entity = {
        "id": str(app.pk),
        "name": app.name,
        "website": (info.website or None) if info else None,
        "scopes": (info.scopes if info else "read").split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
    }
    if secret is not None:
        entity.update(client_id=app.client_id, client_secret=secret, client_secret_expires_at=0)
    return entity


class AppsView(MastodonView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        data = AppInput(data=request.data)
        data.is_valid(raise_exception=True)
        app, secret = oauth.register_app(
            name=data.validated_data["client_name"],
            redirect_uris=data.validated_data["redirect_uris"],
            scopes=data.validated_data["scopes"],
            website=data.validated_data["website"],
        )
        return Response(app_entity(app, secret=secret), status=status.HTTP_200_OK)


class AppVerifyView(MastodonView):
    """The app of the token: any token of it, a user's or the app's own
    (client_credentials). A JWT is no app's: 401."""

    permission_classes = [AllowAny]

    def get(self, request):
        token = request.auth
        if not isinstance(token, AccessToken) or token.application is None:
            raise NotAuthenticated("The access token is invalid")
        return Response(app_entity(token.application))
