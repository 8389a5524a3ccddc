"""Notifications, the mentions they come from, and per-user email preferences.

A notification is one row per cause: (recipient, actor, verb, target). The
database makes that unique, so a redelivered event, a retried handler or two
workers racing can never show the same thing twice. "No target" is the
sentinel ("", 0) rather than NULL: a plain unique index treats NULLs as
distinct, and the sentinel gives the same guarantee on PostgreSQL and SQLite
(where `nulls_distinct=False` would be ignored).

Order: `sort_id` (time-ordered, from core.ids) is the list order and the
cursor. It starts equal to `id`; when a read notification happens again (a
like, unlike, like) it is re-surfaced with a new `sort_id`, so it moves to the
top while its `id`, which clients hold for read/delete, stays the same.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.ids import new_id


class Verb(models.TextChoices):
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    FOLLOW_APPROVED = "follow_approved"
    LIKE = "like"
    RETWEET = "retweet"
    REPLY = "reply"
    QUOTE = "quote"
    MENTION = "mention"


class TargetType(models.TextChoices):
    NONE = "", "none"
    POST = "post"
    USER = "user"


NO_TARGET_ID = 0


class Notification(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # covered by the unique constraint and the inbox index
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by notification_actor
    )
    verb = models.CharField(max_length=16, choices=Verb.choices)
    target_type = models.CharField(
        max_length=8, choices=TargetType.choices, blank=True, default=TargetType.NONE
    )
    target_id = models.BigIntegerField(default=NO_TARGET_ID)
    sort_id = models.BigIntegerField(
        default=new_id, help_text="List position: a new time-ordered id each time it re-surfaces."
    )
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    surfaced_at = models.DateTimeField(
        default=timezone.now, help_text="When the cause last happened (re-surfacing updates it)."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "actor", "verb", "target_type", "target_id"],
                name="notification_unique_cause",
            ),
            models.CheckConstraint(
                condition=Q(target_type="", target_id=NO_TARGET_ID)
                | (~Q(target_type="") & ~Q(target_id=NO_TARGET_ID)),
                name="notification_target_pair",
            ),
            models.CheckConstraint(
                condition=Q(verb__in=Verb.values), name="notification_verb_known"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-sort_id"], name="notification_inbox"),
            models.Index(
                fields=["recipient", "-sort_id"],
                condition=Q(is_read=False),
                name="notification_unread",
            ),
            # post.deleted hides what targets the post; blocks remove a pair's rows.
            models.Index(fields=["target_type", "target_id"], name="notification_target"),
            models.Index(fields=["actor", "recipient"], name="notification_actor"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_type}:{self.target_id}" if self.target_type else ""
        return f"{self.actor_id} {self.verb} → {self.recipient_id}{target}"


class Mention(models.Model):
    """A user a post mentions (as parsed by accounts.mentions), one row per pair."""

    post = models.ForeignKey(
        "tweets.Post",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by the unique constraint
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="mention_post_user_unique")
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} mentions {self.user_id}"


class NotificationSettings(models.Model):
    """Per-user preferences. Email is opt-in per verb (none by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    email_verbs = models.JSONField(default=list, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"
