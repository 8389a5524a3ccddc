"""Hashtags and which posts use them (kept by search.handlers from post events).

The full-text index of posts and the trigram indexes of users are no models:
they are a generated column and expression indexes created by this app's
PostgreSQL-only migration (0002), read through tweets.textsearch and
search.selectors.
"""

from django.conf import settings
from django.db import models

from tweets.models import Post


class Hashtag(models.Model):
    """One tag, by its normalised name (tweets.hashtags.normalize_tag, no `#`)."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class PostHashtag(models.Model):
    """A post uses a tag. The post's author and time are copied here so trends
    count distinct authors per tag over a time window from this table alone."""

    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Re-delivered events and repeated edits never double a link.
            models.UniqueConstraint(fields=["hashtag", "post"], name="posthashtag_tag_post_unique"),
        ]
        indexes = [
            models.Index(fields=["post"], name="posthashtag_post"),
            models.Index(fields=["created_at", "hashtag"], name="posthashtag_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.hashtag_id}"
