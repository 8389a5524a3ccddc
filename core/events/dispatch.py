"""Outbox → Celery: the after-commit fast path, the sweeper, and replays.

After a commit the request makes sure one `core.dispatch_now` task is queued
(signal_dispatcher); that task sends everything pending, packed per handler.

Rows are marked dispatched only after the broker accepted every task for
them; whatever could not be sent stays pending and the sweeper (a beat task
every few seconds, or `manage.py dispatch_outbox`) sends it later. Pending rows
and due retries are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so two
sweepers (or a sweeper and the fast path) never send the same row twice;
a double send would be harmless anyway (processed markers), only wasteful.

Many pending pairs of the same handler travel in one task (EVENTS_BATCH_SIZE
events): one worker process runs ~1,300 tasks/s, a busy network writes more
events than that. Retries go one event per task so a failing event can only
delay itself.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils import timezone

from core.degrade import cache_breaker
from core.events.registry import registry
from core.ids import min_id_for
from core.models import EventDelivery, OutboxEvent

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

SWEEP_TIME_BUDGET_SECONDS = 20  # one sweep stops claiming after this; the next goes on


@dataclass(frozen=True)
class Tasks:
    """The Celery tasks dispatch sends: `core.run_handlers` (`core.run_handler` while
    EVENTS_TASK_PER_QUEUE is off) and `core.dispatch_now`.

    core.tasks plugs them in when it is imported (core.apps imports it in ready()),
    so this package never imports the module whose tasks call into it.
    """

    # Celery tasks: their apply_async honours eager mode.
    run_handlers: "Task[..., None]"
    run_handler: "Task[..., None]"
    dispatch_now: "Task[[], int]"


_tasks: Tasks | None = None


def use_tasks(
    *,
    run_handlers: "Task[..., None]",
    run_handler: "Task[..., None]",
    dispatch_now: "Task[[], int]",
) -> None:
    global _tasks
    _tasks = Tasks(run_handlers=run_handlers, run_handler=run_handler, dispatch_now=dispatch_now)


def tasks() -> Tasks:
    if _tasks is None:
        raise RuntimeError("core.tasks is not loaded: the event dispatcher has no tasks to send")
    return _tasks


@dataclass(frozen=True)
class Batch:
    handler: str
    queue: str
    event_ids: tuple[int, ...]
    # Sent by dispatch_pending: none of its pairs can have failed before, so the
    # worker skips looking for their retry rows (delivery.record).
    first_attempt: bool = False


def plan(rows: list[tuple[int, str]], *, batch_size: int) -> list[Batch]:
    """Group (event id, name) rows per handler, in batches of at most `batch_size`."""
    per_handler: dict[str, list[int]] = {}
    for event_id, name in rows:
        for spec in registry.handlers_for(name):
            per_handler.setdefault(spec.key, []).append(event_id)
    return [
        Batch(key, registry.by_key[key].queue, tuple(ids[i : i + batch_size]), first_attempt=True)
        for key, ids in per_handler.items()
        for i in range(0, len(ids), batch_size)
    ]


def is_eager() -> bool:
    return bool(tasks().run_handlers.app.conf.task_always_eager)


def messages(batches: list[Batch]) -> list[list[Batch]]:
    """`batches` grouped into tasks: first attempts per queue, at most one batch of
    each handler per task; a retry alone (one event, so that a failing event can
    only delay itself). With EVENTS_TASK_PER_QUEUE off, every batch alone.

    One task per handler batch cost the default worker a message to publish (with
    the broker's confirm), receive, trace and acknowledge, and a read of the
    events, for each of the four handlers of a post: one dispatch's handler tasks
    cost more than the handlers' own work at 50 ms windows (bench/README.md,
    twelfth pass)."""
    if not settings.EVENTS_TASK_PER_QUEUE:
        return [[batch] for batch in batches]
    out: list[list[Batch]] = []
    by_queue: dict[str, list[list[Batch]]] = {}
    for batch in batches:
        if not batch.first_attempt:
            out.append([batch])
            continue
        tasks_of_queue = by_queue.setdefault(batch.queue, [])
        task = next((t for t in tasks_of_queue if all(b.handler != batch.handler for b in t)), None)
        if task is None:
            task = []
            tasks_of_queue.append(task)
            out.append(task)
        task.append(batch)
    return out


def send(batches: list[Batch]) -> set[int]:
    """Hand `batches` to the broker (`messages`); return the event ids of batches
    that could not be sent.

    Stops at the first broker error (the next ones would fail the same way,
    each after a timeout) and never raises: the caller leaves what was not sent
    pending. In eager mode each task runs here, in process.
    """
    unsent: set[int] = set()
    grouped = messages(batches)
    for index, task in enumerate(grouped):
        kwargs: dict[str, object] = {
            "batches": [(batch.handler, list(batch.event_ids)) for batch in task]
        }
        run = tasks().run_handlers
        if not settings.EVENTS_TASK_PER_QUEUE:  # what workers of an older release know
            [batch] = task
            kwargs = {"handler": batch.handler, "event_ids": list(batch.event_ids)}
            run = tasks().run_handler
        if all(batch.first_attempt for batch in task):
            kwargs["first_attempt"] = True
        try:
            run.apply_async(kwargs=kwargs, queue=task[0].queue)
        except Exception as exc:
            logger.warning(
                "broker unavailable (%s: %s); %s tasks left for the sweeper",
                type(exc).__name__,
                exc,
                len(grouped) - index,
            )
            for rest in grouped[index:]:
                for batch in rest:
                    unsent.update(batch.event_ids)
            break
    return unsent


def dispatch_pending(
    *,
    event_ids: list[int] | None = None,
    min_age_seconds: float | None = None,
    limit: int = 1000,
    batch_size: int | None = None,
) -> int:
    """Send pending outbox rows (these ids, or the oldest ones) to their handlers.

    `min_age_seconds` keeps the sweeper off rows the fast path is about to send;
    `batch_size` defaults to EVENTS_BATCH_SIZE. Returns how many rows were marked
    dispatched.
    """
    eager = is_eager()
    with transaction.atomic():
        pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
        if event_ids is not None:
            pending = pending.filter(id__in=event_ids)
        if min_age_seconds is not None:
            cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
            pending = pending.filter(id__lt=min_id_for(cutoff))
        rows = list(
            pending.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "name")[:limit]
        )
        if not rows:
            return 0
        batches = plan(rows, batch_size=batch_size or settings.EVENTS_BATCH_SIZE)
        # Eager tasks run after this transaction (they must not run under its locks).
        unsent = set() if eager else send(batches)
        sent = [event_id for event_id, _ in rows if event_id not in unsent]
        OutboxEvent.objects.filter(id__in=sent).update(dispatched_at=timezone.now())
    if eager:
        send(batches)
    return len(sent)


def lease_seconds() -> float:
    """How long a sent retry may stay unanswered before the sweeper sends it again.

    RabbitMQ keeps a sent task until a worker acknowledges it and gives a dead
    worker's tasks back at once, so a retry goes missing only if the broker loses
    it (a queue purged or deleted). Twice the task time limit lets a retry wait
    behind a backlog and run; a send after that costs a no-op run at worst.
    """
    return 2 * settings.EVENTS_TASK_TIME_LIMIT


def dispatch_retries(*, delivery_ids: list[int] | None = None, limit: int = 1000) -> int:
    """Send the retries that are due (or the given deliveries), one event per task."""
    eager = is_eager()
    now = timezone.now()
    with transaction.atomic():
        due = EventDelivery.objects.filter(state=EventDelivery.State.RETRYING)
        if delivery_ids is not None:
            due = due.filter(id__in=delivery_ids)
        else:
            due = due.filter(next_attempt_at__lte=now)
        rows = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("id", "event_id", "handler")[:limit]
        )
        if not rows:
            return 0
        batches = [
            Batch(
                handler,
                spec.queue if (spec := registry.by_key.get(handler)) else "default",
                (event_id,),
            )
            for _, event_id, handler in rows
        ]
        unsent = set() if eager else send(batches)
        sent = [row_id for row_id, event_id, _ in rows if event_id not in unsent]
        EventDelivery.objects.filter(id__in=sent).update(
            next_attempt_at=now + timedelta(seconds=lease_seconds())
        )
    if eager:
        send(batches)
    return len(sent)


def sweep(*, min_age_seconds: float | None = None) -> dict[str, int]:
    """One sweeper pass: pending rows older than `min_age_seconds`, then due retries."""
    if min_age_seconds is None:
        min_age_seconds = settings.EVENTS_SWEEP_AFTER_SECONDS
    limit = settings.EVENTS_BATCH_SIZE * 10
    started = time.monotonic()
    totals = {"dispatched": 0, "retried": 0}
    steps: tuple[tuple[str, Callable[[], int]], ...] = (
        ("dispatched", lambda: dispatch_pending(min_age_seconds=min_age_seconds, limit=limit)),
        ("retried", lambda: dispatch_retries(limit=limit)),
    )
    for key, step in steps:
        while time.monotonic() - started < SWEEP_TIME_BUDGET_SECONDS:
            count = step()
            totals[key] += count
            if count < limit:
                break
    return totals


def replay(deliveries: QuerySet[EventDelivery]) -> int:
    """Retry the given failed pairs now, with a fresh round of attempts (admin, command)."""
    with transaction.atomic():
        ids = list(deliveries.select_for_update(skip_locked=True).values_list("id", flat=True))
        EventDelivery.objects.filter(id__in=ids).update(
            state=EventDelivery.State.RETRYING, attempts=0, next_attempt_at=timezone.now()
        )
    return dispatch_retries(delivery_ids=ids) if ids else 0


_PENDING_ATTR = "_warble_outbox_pending"  # ids to send when the connection's transaction commits


def _pending_ids(conn: BaseDatabaseWrapper) -> list[int]:
    pending: list[int] | None = getattr(conn, _PENDING_ATTR, None)
    if pending is None:
        pending = []
        setattr(conn, _PENDING_ATTR, pending)
    return pending


def dispatch_after_commit(event_id: int) -> None:
    """Send `event_id` once its transaction commits (nothing happens if it rolls back).

    The first callback of a transaction flushes all its ids (each later one
    finds the buffer empty): sent in process when Celery is eager, else by the
    dispatcher task signal_dispatcher queues.
    """
    conn = transaction.get_connection()
    _pending_ids(conn).append(event_id)
    transaction.on_commit(lambda: _flush(conn))


def _flush(conn: BaseDatabaseWrapper) -> None:
    pending = _pending_ids(conn)
    if not pending:
        return
    # Ids of rolled-back transactions may be here too: they match no row.
    event_ids = pending[:]
    pending.clear()
    try:
        if is_eager():
            dispatch_pending(event_ids=event_ids, limit=len(event_ids))
        else:
            signal_dispatcher(window_ms=settings.EVENTS_DISPATCH_WINDOW_MS)
    except Exception as exc:
        # Never fail the request that already committed: the sweeper sends it.
        logger.warning(
            "dispatch after commit failed (%s: %s); %s events left for the sweeper",
            type(exc).__name__,
            exc,
            len(event_ids),
            exc_info=True,
        )


DISPATCHER_QUEUED = "events:dispatcher-queued"
DISPATCHER_QUEUED_SECONDS = 10  # then a lost task stops holding back new ones


def signal_dispatcher(*, window_ms: int = 0) -> bool:
    """The fast path of a commit: make sure one `core.dispatch_now` task is queued.

    A cache flag (SET NX) means "a dispatcher is queued and has not started".
    The first commit sets it and sends the task; commits while it is set send
    nothing, because their rows are committed before the task starts and
    clears the flag (clear_dispatcher_flag) and then reads. `window_ms`
    (EVENTS_DISPATCH_WINDOW_MS, 50 by default) holds the task back that long,
    so at most one dispatcher runs per window and each takes everything
    committed while it waited: few large handler batches instead of one task
    per write, for at most one window of latency. The flag expires,
    so a lost task holds nothing back for long; the sweeper sends its rows.
    Without Redis the flag is kept in this process (`_local_flag`). Returns
    whether this call sent the task.
    """
    seconds = window_ms / 1000
    if not cache_breaker.call(
        "the dispatcher flag is kept in this process",
        lambda: bool(
            cache.add(DISPATCHER_QUEUED, 1, timeout=max(seconds, DISPATCHER_QUEUED_SECONDS))
        ),
        lambda: _local_flag.add(seconds),
    ):
        return False
    try:
        # celery-types declares `countdown: float`; Celery's own default is None (no delay).
        tasks().dispatch_now.apply_async(countdown=seconds or None)  # type: ignore[arg-type]
    except Exception:
        clear_dispatcher_flag()  # the next commit tries again
        raise
    return True


class _LocalFlag:
    """The dispatcher flag of one process, for while Redis is unavailable.

    The dispatcher cannot clear it (another process), so it holds only for the
    task's countdown: a commit while it is set is covered by the task, which
    cannot start before its countdown ends. Each process then queues at most
    one dispatcher per window, instead of one per commit.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def add(self, seconds: float) -> bool:
        """Set the flag for `seconds`; False if it was set already."""
        with self._lock:
            now = self.clock()
            if now < self._until:
                return False
            self._until = now + seconds
            return True

    def clear(self) -> None:
        with self._lock:
            self._until = 0.0


_local_flag = _LocalFlag()


def clear_dispatcher_flag() -> None:
    """The dispatcher starts: commits from now on queue the next one. If Redis is
    unavailable, a flag set there expires by itself (DISPATCHER_QUEUED_SECONDS)."""
    _local_flag.clear()
    cache_breaker.call(
        "the dispatcher flag is left to expire",
        lambda: cache.delete(DISPATCHER_QUEUED),
        lambda: False,
    )


def drain() -> int:
    """Send everything pending now (the fast path's dispatcher task)."""
    clear_dispatcher_flag()
    limit = settings.EVENTS_BATCH_SIZE * 10
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < SWEEP_TIME_BUDGET_SECONDS:
        count = dispatch_pending(limit=limit)
        total += count
        if count < limit:
            return total
    signal_dispatcher()  # out of time with rows left: the next dispatcher goes on
    return total
