"""Infrastructure tables with no domain knowledge."""

from typing import ClassVar

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
    """A domain event, written in the transaction of the change that caused it.

    `dispatched_at` is set only after every handler batch of the event was
    handed to the broker; rows still NULL a few seconds after their id's
    timestamp are re-sent by the sweeper (core.events.dispatch.sweep).
    """

    id = models.BigIntegerField(primary_key=True)  # time-ordered (core.ids): age = id range
    name = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            # The sweeper and the status numbers read only the pending rows.
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.id}"


class ProcessedEvent(models.Model):
    """Marks that a transactional handler applied an event (written with its effects).

    Pruned by `event_id` (time-ordered), so the unique index serves that too.
    """

    event_id = models.BigIntegerField()
    handler = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "handler"], name="processed_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} #{self.event_id}"


class EventDelivery(models.Model):
    """An (event, handler) pair that failed at least once: its retry state or dead letter.

    Pairs that succeed first time never get a row; the row is deleted when a
    retry or replay succeeds.
    """

    class State(models.TextChoices):
        RETRYING = "retrying", "retrying"
        DEAD = "dead", "dead letter"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RETRYING)
    attempts = models.PositiveIntegerField(default=0)
    # retrying: when the sweeper sends the next attempt (pushed forward while one
    # is in flight, so a lost message is re-sent); dead: NULL.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "failed event delivery"
        verbose_name_plural = "failed event deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="event_delivery_unique"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="event_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.handler} #{self.event_id} ({self.state})"


class DeadLetterManager(models.Manager["DeadLetter"]):
    def get_queryset(self) -> models.QuerySet["DeadLetter"]:
        return super().get_queryset().filter(state=EventDelivery.State.DEAD)


class DeadLetter(EventDelivery):
    """The dead letters alone (an admin list with a replay action)."""

    objects: ClassVar[DeadLetterManager] = DeadLetterManager()

    class Meta:
        proxy = True
        verbose_name = "dead letter"


class IdWorkerLease(models.Model):
    """A worker id of the time-ordered id generator, leased by one live process.

    core.id_leases: a process takes a row whose lease expired (or a new row),
    renews it while it makes ids, and stops using the id before `expires_at`. The
    database clock decides, so clocks of the machines do not.

    Unmanaged (its migration creates the table): `flush`, which the test suite
    runs after every transactional test, must not delete the leases of processes
    still making ids. A change to these fields needs a hand-written migration.
    """

    worker_id = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=100, help_text="host:pid:random of the process")
    expires_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "core_idworkerlease"
        verbose_name = "id worker lease"

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.holder})"
