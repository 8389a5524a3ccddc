"""Uploaded images: one row per upload, its files in the "media" storage.

A row starts `processing` (the raw upload waits in the private default storage
under `upload_name`), and a Celery task makes it `ready` (files written, sizes,
blurhash) or `failed` (`failure_reason`). Every stored name of one item starts
with its `key`, a random token: nobody can guess a URL from an id.

`post_id` is the post the item is attached to (a plain id: media knows nothing
of posts; tweets checks and sets it through media.services).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.ids import new_id

MAX_ALT_TEXT = 1000


class Media(models.Model):
    class Kind(models.TextChoices):
        ATTACHMENT = "attachment"
        AVATAR = "avatar"
        BANNER = "banner"

    class State(models.TextChoices):
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by media_owner_recent
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ATTACHMENT)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROCESSING)
    failure_reason = models.CharField(max_length=200, blank=True)
    alt_text = models.TextField(max_length=MAX_ALT_TEXT, blank=True)
    key = models.CharField(max_length=64, unique=True, help_text="Random prefix of its files.")
    upload_name = models.CharField(
        max_length=255, blank=True, help_text="The raw upload (private storage) until processed."
    )
    content_type = models.CharField(max_length=32, blank=True, help_text="Of the upload.")
    original = models.CharField(max_length=255, blank=True, help_text="Re-encoded; media storage.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # {"small": {"name", "width", "height"}, "large": {...}}
    variants = models.JSONField(default=dict, blank=True)
    blurhash = models.CharField(max_length=100, blank=True)
    # The point to keep in view when a client crops the image: x and y in -1.0..1.0
    # (left/bottom -1, right/top 1), as Mastodon clients send it; null is the centre.
    focus_x = models.FloatField(null=True, blank=True)
    focus_y = models.FloatField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes stored, all files.")
    post_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "media"
        indexes = [
            models.Index(fields=["owner", "-id"], name="media_owner_recent"),
            models.Index(fields=["post_id"], name="media_post", condition=Q(post_id__isnull=False)),
            models.Index(
                fields=["created_at"],
                name="media_unattached",
                condition=Q(post_id__isnull=True, kind="attachment"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.state})"

    @property
    def stored_names(self) -> list[str]:
        """Every name this item holds in the media storage."""
        names = [self.original] if self.original else []
        names += [v["name"] for v in self.variants.values() if v.get("name")]
        return names


class UserStorage(User):
    """Users as the admin's storage statistics list them (media.admin)."""

    class Meta:
        proxy = True
        verbose_name = "storage per user"
        verbose_name_plural = "storage per user"
