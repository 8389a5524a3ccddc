"""Pruning: dispatched outbox rows and processed markers older than EVENTS_RETENTION_HOURS.

Both tables are pruned by id range (ids are time-ordered, core.ids), so the
primary key and the markers' unique index serve the deletes. Pending rows are
never pruned, nor rows that still have a retry or a dead letter (replay needs
them). Markers outlive any redelivery: the broker redelivers within its
visibility timeout (minutes), far below the retention (hours).
"""

from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from core.ids import min_id_for
from core.models import EventDelivery, OutboxEvent, ProcessedEvent

M = TypeVar("M", bound=Model)

CHUNK = 5000  # rows per DELETE: short transactions, no long lock on a busy table


def prune(*, hours: float | None = None) -> dict[str, int]:
    if hours is None:
        hours = settings.EVENTS_RETENTION_HOURS
    cutoff_id = min_id_for(timezone.now() - timedelta(hours=hours))
    events = (
        OutboxEvent.objects.filter(id__lt=cutoff_id, dispatched_at__isnull=False)
        .exclude(id__in=EventDelivery.objects.values("event_id"))
        .order_by("id")
    )
    markers = ProcessedEvent.objects.filter(event_id__lt=cutoff_id).order_by("event_id")
    return {
        "events": _delete_in_chunks(OutboxEvent, events),
        "markers": _delete_in_chunks(ProcessedEvent, markers),
    }


def _delete_in_chunks(model: type[M], queryset: QuerySet[M]) -> int:
    total = 0
    while ids := list(queryset.values_list("pk", flat=True)[:CHUNK]):
        model._default_manager.filter(pk__in=ids).delete()
        total += len(ids)
    return total
