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


class Marker(models.Model):
    """A client's reading position in a timeline (Mastodon's markers API)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    timeline = models.CharField(max_length=20)
    last_read_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "timeline"], name="marker_user_timeline")
        ]

    def __str__(self) -> str:
        return f"{self.timeline} marker of {self.user_id}"

    @classmethod
    def save_position(cls, *, user, timeline: str, last_read_id: int, now) -> "Marker":
        """Upsert, bumping the version (Mastodon's optimistic counter)."""
        from django.db import transaction

        with transaction.atomic():
            marker, created = cls.objects.select_for_update().get_or_create(
                user=user,
                timeline=timeline,
                defaults={"last_read_id": last_read_id, "updated_at": now},
            )
            if not created:
                marker.last_read_id = last_read_id
                marker.version += 1
                marker.updated_at = now
                marker.save(update_fields=["last_read_id", "version", "updated_at"])
        return marker
