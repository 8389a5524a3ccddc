"""OAuth 2 for Mastodon clients, with django-oauth-toolkit (DOT).

- `POST /api/v1/apps` registers a client (a DOT Application, confidential, its
  secret returned once and stored hashed) with its redirect URIs and scopes.
- `/oauth/authorize` is a minimal server-rendered page: the app's name and the
  scopes it asks for, a username/password form and Authorize/Deny buttons (CSRF
  protected; sign-in attempts go through Django's `authenticate`, so django-axes
  locks out guessing as on `/api/v1/auth/token`). Authorizing redirects with the
  code, or shows it for the out-of-band URI `urn:ietf:wg:oauth:2.0:oob` (toot).
- `/oauth/token` and `/oauth/revoke` are DOT's views. Grants: authorization_code
  (PKCE S256 when the client sends a challenge), client_credentials,
  refresh_token (rotated), and password: toot's only non-interactive sign-in
  (`toot login_cli`) and many scripts use it, as Mastodon allows; it goes through
  the same `authenticate` (and lockout) as every sign-in.
- `Validator` lets every registered app use those grants (Mastodon apps are not
  bound to one grant type as DOT's are), restricts tokens to the app's scopes,
  and records the user's token version with every access token it issues
  (`AccessTokenVersion`: revocation by password change or suspension).
"""

import json

from django.contrib.auth import authenticate
from django.db import transaction
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views.mixins import OAuthLibMixin

from accounts.models import User
from mastodon_api.models import AccessTokenVersion, ClientApp

OOB = "urn:ietf:wg:oauth:2.0:oob"
GRANTS = frozenset({"authorization_code", "client_credentials", "refresh_token", "password"})


def app_scopes(application) -> frozenset[str]:
    info = getattr(application, "mastodon", None)
    return frozenset((info.scopes if info is not None else "read").split())


class Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type in GRANTS

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        """Exactly one of the app's registered URIs, any scheme (Mastodon's rule:
        mobile apps use their own schemes, toot the out-of-band URI)."""
        return redirect_uri in request.client.redirect_uris.split()

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        from mastodon_api.authentication import scope_allows

        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        allowed = app_scopes(client)
        return all(scope_allows(allowed, scope) for scope in scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        client = request.client or get_application_model().objects.get(client_id=client_id)
        return sorted(app_scopes(client)) if client is not None else ["read"]

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        instance = request.refresh_token_instance
        access = instance.access_token
        version = getattr(access, "warble_version", None) if access is not None else None
        user = instance.user
        return (
            user is not None and version is not None and version.token_version == user.token_version
        )

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access = super()._create_access_token(expires, request, token, source_refresh_token)
        if access.user_id is not None:
            version = User.objects.values_list("token_version", flat=True).get(pk=access.user_id)
            AccessTokenVersion.objects.create(access_token=access, token_version=version)
        return access


class FormOrJSONCore(OAuthLibCore):
    """Token and revocation bodies as forms (RFC 6749) or JSON: Mastodon accepts both,
    and clients send both (toot's client_credentials request is JSON)."""

    def extract_body(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return super().extract_body(request)
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return []
        if not isinstance(data, dict):
            return []
        return [(str(k), str(v)) for k, v in data.items() if isinstance(v, str | int)]


def register_app(*, name: str, redirect_uris: list[str], scopes: str, website: str):
    """A new client app; returns (application, its secret in clear: shown once)."""
    Application = get_application_model()
    app = Application(
        name=name,
        redirect_uris=" ".join(redirect_uris),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        skip_authorization=False,
    )
    secret = app.client_secret  # generated by the field default; hashed on save
    with transaction.atomic():
        app.save()
        ClientApp.objects.create(application=app, scopes=scopes, website=website)
    app.mastodon = ClientApp(application=app, scopes=scopes, website=website)
    return app, secret


@method_decorator(csrf_protect, name="dispatch")
class AuthorizeView(OAuthLibMixin, View):
    """The sign-in + consent page of the authorization code grant."""

    template_name = "mastodon_api/authorize.html"

    def _validate(self, request):
        scopes, credentials = self.validate_authorization_request(request)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        return scopes, credentials, application

    def _error(self, request, message: str, status: int = 400):
        return render(request, self.template_name, {"error": message}, status=status)

    def get(self, request):
        try:
            scopes, _credentials, application = self._validate(request)
        except OAuthToolkitError as error:
            return self._error(request, error.oauthlib_error.description or "Invalid request.")
        return render(request, self.template_name, {"application": application, "scopes": scopes})

    def post(self, request):
        try:
            scopes, credentials, application = self._validate(request)
        except OAuthToolkitError as error:
            return self._error(request, error.oauthlib_error.description or "Invalid request.")
        allow = request.POST.get("allow") == "1"
        if allow:
            user = authenticate(
                request,
                username=request.POST.get("username", ""),
                password=request.POST.get("password", ""),
            )
            if user is None:
                return render(
                    request,
                    self.template_name,
                    {
                        "application": application,
                        "scopes": scopes,
                        "error": "Wrong username or password.",
                    },
                    status=403,
                )
            request.user = user
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=allow
            )
        except OAuthToolkitError as error:
            description = error.oauthlib_error.description or "The authorization was refused."
            redirect = error.oauthlib_error.redirect_uri
            if redirect and redirect != OOB and not allow:
                return _redirect(error.oauthlib_error.in_uri(redirect))
            return self._error(request, description, status=403 if not allow else 400)
        if credentials.get("redirect_uri") == OOB:
            from urllib.parse import parse_qs, urlsplit

            code = parse_qs(urlsplit(uri).query).get("code", [""])[0]
            return render(request, self.template_name, {"code": code, "application": application})
        return _redirect(uri)


def _redirect(uri: str):
    from django.http import HttpResponse

    response = HttpResponse(status=302)
    response["Location"] = uri  # any scheme the app registered (app URIs: myapp://...)
    return response
