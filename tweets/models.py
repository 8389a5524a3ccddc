"""Posts and the rows users attach to them: retweets, likes, bookmarks, edits.

Posts, retweets, likes and bookmarks take time-ordered ids from one id space
(core.ids), so "newest first" is "id descending" everywhere and a cursor is an
id. Counters on Post are kept by tweets.services in the transaction of the row
that changes them; nothing else writes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.viewer import Viewer
from core.ids import new_id
from relationships.visibility import author_visibility_q


def post_visibility_q(*, viewer: Viewer, prefix: str = "", probe: bool = False) -> Q:
    """The one definition of which posts `viewer` may see.

    Not deleted, not hidden by a moderator; author active (not suspended or
    erased) and not deactivated; and whatever the relationship rules say
    (blocks, private accounts). `prefix` reaches a post through a relation
    ("post__") for lists of likes, retweets and bookmarks. `probe`: the
    relationship checks as index probes per row (relationships.visibility).
    """
    return Q(
        **{
            f"{prefix}deleted_at__isnull": True,
            f"{prefix}hidden_at__isnull": True,
            f"{prefix}author__is_active": True,
            f"{prefix}author__deactivated_at__isnull": True,
        }
    ) & author_visibility_q(viewer=viewer, author_field=f"{prefix}author", probe=probe)


def user_visibility_q(*, viewer: Viewer, field: str, probe: bool = False) -> Q:
    """Rows whose user at `field` (a liker, a retweeter) the viewer may see."""
    return Q(
        **{f"{field}__is_active": True, f"{field}__deactivated_at__isnull": True}
    ) & author_visibility_q(viewer=viewer, author_field=field, probe=probe)


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, viewer: Viewer) -> "PostQuerySet":
        """Posts `viewer` (maybe anonymous) may see. Every read path goes through here."""
        return self.filter(post_visibility_q(viewer=viewer))


class Post(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        db_index=False,  # covered by post_author_recent
    )
    text = models.TextField()
    # No database constraint on the references: a reply keeps its parent's id
    # whatever happens to the parent, and shows it as unavailable.
    reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # covered by post_replies_recent
        related_name="+",
    )
    conversation_id = models.BigIntegerField(
        help_text="Id of the thread's root post (its own id for a root)."
    )
    quote_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    media_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Hidden by a moderator (moderation.services): out of every read path like a
    # deleted post, but counters stay and unhiding brings it back.
    hidden_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    retweet_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    quote_count = models.PositiveIntegerField(default=0)
    # Bumped by every edit and by deletion: the home feed's payload cache keys
    # carry it, so a changed post is never served from a stale cache entry.
    version = models.PositiveIntegerField(default=0)

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_recent"),
            models.Index(fields=["reply_to", "-id"], name="post_replies_recent"),
            models.Index(fields=["conversation_id", "id"], name="post_conversation"),
            models.Index(fields=["-created_at"], name="post_created"),
        ]

    def __str__(self) -> str:
        return f"{self.id} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class PostEdit(models.Model):
    """A text a post had before an edit replaced it at `edited_at`."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="edits", db_index=False)
    text = models.TextField()
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["post", "-id"], name="postedit_post_recent")]

    def __str__(self) -> str:
        return f"edit of {self.post_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class _UserPostRow(models.Model):
    """A (user, post) pair with its own time-ordered id: unique per pair."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by the (user, post) unique constraint
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.user_id} → {self.post_id}"


class RetweetQuerySet(models.QuerySet["Retweet"]):
    def visible_to(self, viewer: Viewer, *, probe: bool = False) -> "RetweetQuerySet":
        return self.filter(
            post_visibility_q(viewer=viewer, prefix="post__", probe=probe),
            user_visibility_q(viewer=viewer, field="user", probe=probe),
        )


class Retweet(_UserPostRow):
    """A repost: its id is a timeline entry id, in the same id space as posts."""

    objects = RetweetQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="retweet_user_post_unique")
        ]
        indexes = [
            models.Index(fields=["post", "-id"], name="retweet_post_recent"),
            models.Index(fields=["user", "-id"], name="retweet_user_recent"),
        ]


class Like(_UserPostRow):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="like_user_post_unique")
        ]
        indexes = [
            models.Index(fields=["post", "-id"], name="like_post_recent"),
            models.Index(fields=["user", "-id"], name="like_user_recent"),
        ]


class Bookmark(_UserPostRow):
    """Private to its owner: no endpoint shows another user's bookmarks."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="bookmark_user_post_unique")
        ]
        indexes = [models.Index(fields=["user", "-id"], name="bookmark_user_recent")]
