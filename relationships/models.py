"""Follows, follow requests, blocks and mutes: directed pairs of users.

Every table is unique per (from, to) pair and refuses a pair with itself. The
unique constraint's index, which leads with the "from" user, serves "whom does
X follow/block/mute"; a second index leading with the "to" user serves the
reverse questions, newest first where a list needs it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


def _pair_constraints(prefix: str, source: str, target: str) -> list:
    return [
        models.UniqueConstraint(fields=[source, target], name=f"{prefix}_unique_pair"),
        models.CheckConstraint(
            condition=~models.Q(**{source: models.F(target)}), name=f"{prefix}_not_self"
        ),
    ]


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="following_edges",
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="follower_edges",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = _pair_constraints("follow", "follower", "followee")
        indexes = [
            # "who follows X, newest first" (followers list, fan-out)
            models.Index(fields=["followee", "-created_at", "-id"], name="follow_followee_recent"),
            # "whom X follows, newest first" (following list)
            models.Index(fields=["follower", "-created_at", "-id"], name="follow_follower_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.followee_id}"


class FollowRequest(models.Model):
    """A pending request to follow a private account; deleted when answered."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="sent_follow_requests",
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="follow_requests",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = _pair_constraints("follow_request", "requester", "target")
        indexes = [
            models.Index(fields=["target", "-created_at", "-id"], name="follow_request_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} ?→ {self.target_id}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="blocks_made",
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="blocks_received",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = _pair_constraints("block", "blocker", "blocked")
        indexes = [
            models.Index(fields=["blocker", "-created_at", "-id"], name="block_blocker_recent"),
            # "who blocks X" (the reverse direction of every visibility check)
            models.Index(fields=["blocked", "blocker"], name="block_blocked_blocker"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} ⊘ {self.blocked_id}"


class Mute(models.Model):
    muter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="mutes_made",
    )
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # covered by the pair indexes below
        related_name="mutes_received",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = _pair_constraints("mute", "muter", "muted")
        indexes = [
            models.Index(fields=["muter", "-created_at", "-id"], name="mute_muter_recent"),
            # "who mutes X" (notification fan-out skips them)
            models.Index(fields=["muted", "muter"], name="mute_muted_muter"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} 🔇 {self.muted_id}"
