"""Celery tasks of core: running event handlers."""

from celery import shared_task

from core.events.dispatch import deliver


@shared_task(acks_late=True)
def run_handler(*, handler: str, event_ids: list[int]) -> None:
    deliver(handler=handler, event_ids=event_ids)
