"""Delivering outbox rows to their handlers through Celery (first cut: fast path only)."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.events.registry import Event, registry
from core.models import OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)


def dispatch_after_commit(event_id: int) -> None:
    transaction.on_commit(lambda: dispatch_events(event_ids=[event_id]))


def dispatch_events(*, event_ids: list[int]) -> None:
    from core.tasks import run_handler

    events = OutboxEvent.objects.filter(id__in=event_ids, dispatched_at__isnull=True)
    for event in events:
        for spec in registry.handlers_for(event.name):
            run_handler.apply_async(
                kwargs={"handler": spec.key, "event_ids": [event.id]}, queue=spec.queue
            )
    OutboxEvent.objects.filter(id__in=event_ids).update(dispatched_at=timezone.now())


def deliver(*, handler: str, event_ids: list[int]) -> None:
    spec = registry.by_key[handler]
    rows = OutboxEvent.objects.filter(id__in=event_ids).order_by("id")
    events = [Event(id=r.id, name=r.name, payload=r.payload, created_at=r.created_at) for r in rows]
    if not spec.transactional:
        spec.func(events)
        return
    with transaction.atomic():
        done = set(
            ProcessedEvent.objects.filter(handler=handler, event_id__in=event_ids).values_list(
                "event_id", flat=True
            )
        )
        todo = [e for e in events if e.id not in done]
        if not todo:
            return
        try:
            with transaction.atomic():
                ProcessedEvent.objects.bulk_create(
                    [ProcessedEvent(event_id=e.id, handler=handler) for e in todo]
                )
        except IntegrityError:
            return  # another worker applied them concurrently
        spec.func(todo)
