"""Celery tasks of core: running event handlers, sweeping and pruning the outbox.

Thin: each calls into core.events. Names are fixed so queued messages survive
a module being moved. The dispatcher learns of `run_handler` and `dispatch_now`
from this module (`dispatch.use_tasks` below), so core.events never imports it.
"""

import logging

from celery import Task, shared_task
from django.conf import settings

from core.events import delivery, dispatch, retention

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="core.run_handler",
    acks_late=True,
    reject_on_worker_lost=True,
    # The soft limit raises inside the handler, so the batch is recorded as
    # failed; the hard limit only backs it up.
    soft_time_limit=settings.EVENTS_TASK_TIME_LIMIT - max(5, settings.EVENTS_TASK_TIME_LIMIT // 10),
    time_limit=settings.EVENTS_TASK_TIME_LIMIT,
)
def run_handler(
    self: Task[..., None], *, handler: str, event_ids: list[int], first_attempt: bool = False
) -> None:
    """Run one handler on a batch of events (core.events.delivery.deliver)."""
    try:
        delivery.deliver(handler=handler, event_ids=event_ids, first_attempt=first_attempt)
    except Exception as exc:
        # Handler errors are recorded per pair inside deliver(); reaching here means
        # the bookkeeping itself failed (database unreachable), so nothing was
        # recorded: have the broker bring the batch back later instead of losing it.
        if self.request.is_eager:
            raise
        if self.request.retries >= settings.EVENTS_MAX_ATTEMPTS:
            logger.critical("giving up on %s for events %s", handler, event_ids)
            raise
        countdown = min(delivery.backoff_seconds(self.request.retries + 1), 60)
        raise self.retry(exc=exc, countdown=countdown, max_retries=None) from exc


@shared_task(name="core.dispatch_now", ignore_result=True)
def dispatch_now() -> int:
    """The fast path's dispatcher (signal_dispatcher): send everything pending.

    An error leaves the rows pending for the sweeper: nothing to retry here.
    """
    return dispatch.drain()


dispatch.use_tasks(run_handler=run_handler, dispatch_now=dispatch_now)


@shared_task(name="core.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    """Beat, every EVENTS_SWEEP_INTERVAL_SECONDS: re-send what the fast path did not."""
    return dispatch.sweep()


@shared_task(name="core.prune_events", ignore_result=True)
def prune_events() -> dict[str, int]:
    """Beat, hourly: drop dispatched outbox rows and markers past the retention."""
    return retention.prune()


@shared_task(name="core.prune_idempotency_records", ignore_result=True)
def prune_idempotency_records() -> int:
    """Idempotency keys only need to outlive a client's retries (24 hours)."""
    from core.idempotency import prune_idempotency_records as prune

    return prune()
