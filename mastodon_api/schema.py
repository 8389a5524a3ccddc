"""The OAuth token authentication in Warble's OpenAPI schema (the native API accepts
the Mastodon clients' OAuth tokens too)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class OAuthTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "mastodon_api.authentication.OAuthTokenAuthentication"
    name = "oauthToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An OAuth 2 access token issued to a Mastodon client app (see the README, "
                '"Use your favourite Mastodon client"). Scopes: any read scope for GET, '
                "any write or follow scope for other methods."
            ),
        }
