from django.db import models


class EffectRow(models.Model):
    """One row per application of a handler to an event.

    Deliberately no unique constraint: a duplicate application shows up as a
    second row instead of being hidden by an IntegrityError.
    """

    event_id = models.BigIntegerField(db_index=True)
    handler = models.CharField(max_length=50)
    worker_pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.handler} #{self.event_id}"


class Fault(models.Model):
    """While a row named after a handler exists, that handler fails (a fixable fault)."""

    name = models.CharField(max_length=50, primary_key=True)

    def __str__(self) -> str:
        return self.name
