"""Trust and safety: reports, the audit ledger, data exports.

A report names its target by type and id (`target_type`, `target_id`) and, for
the admin's joins, by foreign keys: `post` (a post report) and `target_user`
(the reported user, or the author of the reported post). One open report per
(reporter, target) and one open report of the system per target are unique
constraints; the automatic first pass also keys its reports by the event that
raised them (`auto_key`), so a handler that runs twice files one report.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.ids import new_id


class Reason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abuse"
    HARASSMENT = "harassment", "Harassment"
    ILLEGAL = "illegal", "Illegal content"
    OTHER = "other", "Other"


class TargetType(models.TextChoices):
    POST = "post", "Post"
    USER = "user", "User"


class ReportState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved (action taken)"
    DISMISSED = "dismissed", "Dismissed (no action)"


class Report(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    # None: the system (the automatic first pass, moderation.handlers).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by report_one_open_per_reporter
    )
    target_type = models.CharField(max_length=8, choices=TargetType.choices)
    target_id = models.BigIntegerField()
    post = models.ForeignKey(
        "tweets.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_against"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    comment = models.CharField(max_length=1000, blank=True)
    auto_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"],
                condition=Q(state="open"),
                name="report_one_open_per_reporter",
            ),
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(state="open", reporter__isnull=True),
                name="report_one_open_system",
            ),
            models.UniqueConstraint(
                fields=["auto_key"], condition=~Q(auto_key=""), name="report_auto_key"
            ),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id", "state"], name="report_target"),
            models.Index(fields=["state", "created_at"], name="report_queue"),
        ]
        permissions = [
            ("hide_post", "Can hide and unhide posts"),
            ("suspend_user", "Can suspend and unsuspend users"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk}: {self.target_type} {self.target_id} ({self.reason})"

    @property
    def is_open(self) -> bool:
        return self.state == ReportState.OPEN


class AuditRecord(models.Model):
    """One moderation action in the append-only ledger (moderation.audit).

    `hash` is SHA-256 over the record's fields and `prev_hash` (the previous
    record's hash), so editing a row breaks its own hash and deleting one
    breaks the next row's link; `seq` is gapless, and AuditHead names the last
    record, so removing the newest rows is seen too."""

    seq = models.PositiveBigIntegerField(unique=True)
    # None: the system (an expired suspension). The id is hashed, so it never changes:
    # no constraint, no SET_NULL (accounts are erased in place, never deleted).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)  # kept when the account is erased
    action = models.CharField(max_length=32)
    target_type = models.CharField(max_length=16)
    target_id = models.BigIntegerField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type} {self.target_id}"


class AuditHead(models.Model):
    """The ledger's single head row: the last record's seq and hash. Appending locks
    it (SELECT ... FOR UPDATE), which serializes appends into one chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class ExportState(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class DataExport(models.Model):
    """A user's "your data" archive (moderation.export): a zip in default_storage."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    state = models.CharField(max_length=16, choices=ExportState.choices, default="pending")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_recent")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.state})"
