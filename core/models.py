"""Infrastructure tables with no domain knowledge."""

from django.db import models


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` use: who sent it, what the body was, what we answered.

    `scope` is the user id (or "anon" for unauthenticated creates) plus the
    route, so two clients choosing the same key never see each other's replies.
    """

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

    @property
    def in_flight(self) -> bool:
        return self.response_status is None


class OutboxEvent(models.Model):
    """A domain event, written in the transaction of the change that caused it."""

    id = models.BigIntegerField(primary_key=True)  # time-ordered, from core.ids
    name = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.id}"


class ProcessedEvent(models.Model):
    """Marks that a transactional handler applied an event (written with its effects)."""

    event_id = models.BigIntegerField()
    handler = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "handler"], name="processed_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} #{self.event_id}"
