"""Celery tasks of core: running event handlers, sweeping and pruning the outbox.

Thin: each calls into core.events. Names are fixed so queued messages survive
a module being moved. The dispatcher learns of `run_handlers` and `dispatch_now`
from this module (`dispatch.use_tasks` below), so core.events never imports it.
"""

import logging

from celery import Task, shared_task
from django.conf import settings

from core.events import delivery, dispatch, retention

logger = logging.getLogger(__name__)


# A handler task is acknowledged after it ran (a worker that dies mid-task gives
# it back), and its soft time limit raises inside the handler, so the batch is
# recorded as failed; the hard limit only backs it up.
_LIMIT = settings.EVENTS_TASK_TIME_LIMIT
_SOFT_LIMIT = _LIMIT - max(5, _LIMIT // 10)


@shared_task(
    bind=True,
    name="core.run_handlers",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_LIMIT,
)
def run_handlers(
    self: Task[..., None], *, batches: list[tuple[str, list[int]]], first_attempt: bool = False
) -> None:
    """Run the batches `[(handler, event_ids), ...]` of one queue, one handler after
    the other (core.events.delivery.deliver_many): what the dispatcher sends."""
    try:
        delivery.deliver_many(batches, first_attempt=first_attempt)
    except Exception as exc:
        event_ids = sorted({i for _, ids in batches for i in ids})
        _retry(self, exc, [handler for handler, _ in batches], event_ids)


@shared_task(
    bind=True,
    name="core.run_handler",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_LIMIT,
)
def run_handler(
    self: Task[..., None], *, handler: str, event_ids: list[int], first_attempt: bool = False
) -> None:
    """Run one handler on a batch of events (core.events.delivery.deliver): what
    an older release's dispatcher sends, and this one's with EVENTS_TASK_PER_QUEUE off."""
    try:
        delivery.deliver(handler=handler, event_ids=event_ids, first_attempt=first_attempt)
    except Exception as exc:
        _retry(self, exc, [handler], event_ids)


def _retry(
    task: Task[..., None], exc: Exception, handlers: list[str], event_ids: list[int]
) -> None:
    # Handler errors are recorded per pair inside delivery; reaching here means
    # the bookkeeping itself failed (database unreachable), so nothing was
    # recorded: have the broker bring the batch back later instead of losing it.
    # (A rerun finds what did get applied already done: processed markers.)
    if task.request.is_eager:
        raise exc
    if task.request.retries >= settings.EVENTS_MAX_ATTEMPTS:
        logger.critical("giving up on %s for events %s", ", ".join(handlers), event_ids)
        raise exc
    countdown = min(delivery.backoff_seconds(task.request.retries + 1), 60)
    raise task.retry(exc=exc, countdown=countdown, max_retries=None) from exc


@shared_task(name="core.dispatch_now", ignore_result=True)
def dispatch_now() -> int:
    """The fast path's dispatcher (signal_dispatcher): send everything pending.

    An error leaves the rows pending for the sweeper: nothing to retry here.
    """
    return dispatch.drain()


dispatch.use_tasks(run_handlers=run_handlers, run_handler=run_handler, dispatch_now=dispatch_now)


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
