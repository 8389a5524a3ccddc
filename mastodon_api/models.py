"""What the Mastodon face stores beside django-oauth-toolkit's own tables."""

from django.db import models
from oauth2_provider.models import AccessToken


class AccessTokenVersion(models.Model):
    """The user's `token_version` when an OAuth access token was issued.

    Warble revokes every token of a user by bumping `User.token_version`
    (`accounts.services.revoke_tokens`: password change or reset, deactivation,
    erasure, suspension). JWTs carry the version as a claim; an OAuth token is an
    opaque string, so its version is kept here and compared on every request
    (`mastodon_api.authentication`) in the same query that loads the token.
    """

    access_token = models.OneToOneField(
        AccessToken, on_delete=models.CASCADE, primary_key=True, related_name="warble_version"
    )
    token_version = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"token {self.access_token_id} v{self.token_version}"


class ClientApp(models.Model):
    """What Mastodon's `POST /api/v1/apps` keeps beyond DOT's Application: the
    scopes the app may ask for, and its website."""

    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="mastodon",
    )
    scopes = models.CharField(max_length=500, default="read")
    website = models.URLField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"app {self.application_id}"
