"""Running handlers on batches of events, inside a worker (or in process when eager).

Every event of a batch ends in exactly one of three ways: applied (its effects
committed, with a processed marker for transactional handlers), a no-op
(already applied by an earlier or concurrent delivery), or failed and recorded
in `EventDelivery` (retried later with backoff, a dead letter after the last
attempt). A failing batch is split in halves until the poison events stand
alone, so one bad event cannot hold back the rest.

Rows are decoded into their event classes here (core.events.types): a row that
no longer fits its class fails like a handler error, alone.
"""

import json
import logging
import random
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.events.registry import HandlerSpec, registry
from core.events.types import Delivered, DomainEvent, catalogue
from core.models import EventDelivery, OutboxEvent
from core.postgresql.arrays import int_array

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 4000


@dataclass
class Outcome:
    applied: list[int] = field(default_factory=list)  # applied now, or already applied before
    failed: dict[int, str] = field(default_factory=dict)  # event id -> error text
    missing: list[int] = field(default_factory=list)  # pruned or unknown ids
    # The task's soft time limit fired inside this handler (deliver_many then runs
    # no further handler in that task).
    out_of_time: bool = False


def backoff_seconds(attempt: int) -> float:
    """Delay before attempt `attempt + 1`: exponential, capped, with jitter.

    "Equal jitter": half the exponential delay is fixed, half random, so retries
    of many pairs that failed together (a dependency went down) spread out
    instead of returning as one burst, and no retry comes back immediately.
    """
    base = float(settings.EVENTS_RETRY_BASE_SECONDS)
    delay = min(float(settings.EVENTS_RETRY_MAX_SECONDS), base * 2.0 ** max(attempt - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def load_events(
    event_ids: list[int], *, errors: dict[int, str] | None = None
) -> list[Delivered[DomainEvent]]:
    """The events `event_ids` that still exist, in id order, decoded into their classes.

    A row that cannot be decoded (no class has its name any more, or it lacks a
    field that has no default) is left out; its error goes into `errors`, or is
    raised when no `errors` dict is given.
    """
    events = []
    for event_id, name, payload, created_at in _event_rows(event_ids):
        try:
            event = catalogue.decode(name, payload)
        except Exception as exc:
            if errors is None:
                raise
            errors[event_id] = f"cannot decode {name} #{event_id}: {type(exc).__name__}: {exc}"
            continue
        events.append(Delivered(id=event_id, created_at=created_at, event=event))
    return events


_COLUMNS = ("id", "name", "payload", "created_at")


def _event_rows(event_ids: list[int]) -> list[tuple[int, str, Any, datetime]]:
    """The rows (_COLUMNS) of the events that exist, in id order. Every handler task
    reads its batch: on PostgreSQL as one statement with the ids in an array literal,
    because compiling the queryset cost 0.3 ms of CPU, more than running it;
    elsewhere (embedded SQLite) through the queryset."""
    if connection.vendor != "postgresql":
        rows = OutboxEvent.objects.filter(id__in=event_ids).order_by("id")
        return list(rows.values_list(*_COLUMNS))
    table = OutboxEvent._meta.db_table  # from the model; the ids are a parameter
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {", ".join(_COLUMNS)} FROM "{table}" WHERE id = ANY(%s) ORDER BY id',  # noqa: S608
            [int_array(event_ids)],
        )
        rows = cursor.fetchall()
    # What the queryset gives: Django reads jsonb as text, which JSONField decodes.
    decoder = OutboxEvent._meta.get_field("payload").decoder
    return [(i, name, json.loads(p, cls=decoder), at) for i, name, p, at in rows]


def claim(handler: str, event_ids: list[int]) -> set[int]:
    """Insert the processed markers of `handler` for `event_ids`; return the ids inserted now.

    Runs inside the handler's transaction. On PostgreSQL a concurrent delivery of
    the same pair blocks on the unique index until this transaction ends, then
    sees the conflict and gets nothing back: only one transaction ever applies a
    pair. SQLite (3.35+) has the same statement and serialises writers anyway.
    """
    if not event_ids:
        return set()
    now = timezone.now()
    if connection.vendor == "postgresql":
        # The ids as one array literal: three parameters whatever the batch, instead
        # of three per event that psycopg adapts one by one in Python.
        rows = "SELECT unnest(%s::bigint[]), %s, %s"
        params: list[int | str | datetime] = [int_array(event_ids), handler, now]
    else:
        rows = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(event_ids))
        params = []
        for event_id in event_ids:
            params += [event_id, handler, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO core_processedevent (event_id, handler, processed_at) {rows} "
            "ON CONFLICT (event_id, handler) DO NOTHING RETURNING event_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def apply(spec: HandlerSpec, events: list[Delivered[DomainEvent]]) -> None:
    """Run the handler once on `events`; raise if it failed (nothing of it then persists)."""
    if not spec.transactional:
        spec.func(events)  # idempotent by construction: re-running it is harmless
        return
    with transaction.atomic():
        fresh = claim(spec.key, [e.id for e in events])
        todo = [e for e in events if e.id in fresh]
        if todo:
            spec.func(todo)


def run_bisecting(
    spec: HandlerSpec, events: list[Delivered[DomainEvent]], outcome: Outcome
) -> None:
    """Apply `events`; when the batch fails, split it until each failure is one event.

    A per-event handler gets one event per transaction from the start.
    """
    stack = [[e] for e in reversed(events)] if spec.per_event else [events]
    try:
        while stack:
            batch = stack.pop()
            try:
                apply(spec, batch)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                if len(batch) == 1:
                    outcome.failed[batch[0].id] = format_error(exc)
                else:
                    middle = len(batch) // 2
                    stack += [batch[middle:], batch[:middle]]  # first half runs first
                continue
            outcome.applied += [e.id for e in batch]
    except SoftTimeLimitExceeded as exc:
        # Out of time: what has not finished counts as one failed attempt each and
        # is retried one event per task, where a slow event can only hurt itself.
        outcome.out_of_time = True
        error = format_error(exc)
        done = set(outcome.applied) | set(outcome.failed)
        for event in events:
            if event.id not in done:
                outcome.failed[event.id] = error


def format_error(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text[-MAX_ERROR_CHARS:]


def deliver(*, handler: str, event_ids: list[int], first_attempt: bool = False) -> Outcome:
    """Run `handler` on the events `event_ids` and record the outcome of every pair.

    `first_attempt`: the dispatcher sent these pairs for the first time, so no
    retry row can exist for them yet and none is looked for (a query per task).
    """
    [outcome] = deliver_many([(handler, event_ids)], first_attempt=first_attempt)
    return outcome


def deliver_many(
    batches: Sequence[tuple[str, Sequence[int]]], *, first_attempt: bool = False
) -> list[Outcome]:
    """`deliver` for the batches of several handlers, one after the other (the
    handlers of one queue that one dispatch sends as one task): their events are
    read in one statement, and each handler runs and records its outcome on its
    own, as it would in its own task. Once a handler ran out of the task's time,
    the batches after it are not run: each of their pairs is a failed attempt,
    retried on its own like any failure."""
    undecodable: dict[int, str] = {}
    wanted = sorted({event_id for _, ids in batches for event_id in ids})
    loaded = {e.id: e for e in load_events(wanted, errors=undecodable)}
    outcomes: list[Outcome] = []
    out_of_time: str | None = None
    for handler, event_ids in batches:
        outcome = _deliver_one(handler, event_ids, loaded, undecodable, out_of_time=out_of_time)
        record(handler=handler, outcome=outcome, first_attempt=first_attempt)
        outcomes.append(outcome)
        if outcome.out_of_time:
            out_of_time = f"not run: {handler} used up the task's time before this handler"
    return outcomes


def _deliver_one(
    handler: str,
    event_ids: Sequence[int],
    loaded: dict[int, Delivered[DomainEvent]],
    undecodable: dict[int, str],
    *,
    out_of_time: str | None,
) -> Outcome:
    outcome = Outcome()
    events = [loaded[i] for i in sorted(set(event_ids)) if i in loaded]  # in id order
    bad = {i: undecodable[i] for i in event_ids if i in undecodable}
    outcome.missing = [i for i in event_ids if i not in loaded and i not in bad]
    if outcome.missing:
        logger.warning("events %s no longer exist; %s skips them", outcome.missing, handler)
    spec = registry.by_key.get(handler)
    if spec is None:
        # A handler renamed or removed while its tasks were queued: keep the
        # pairs visible (they end as dead letters) instead of dropping them.
        error = f"no handler {handler!r} is registered in this process"
        outcome.failed = {e.id: error for e in events}
    elif out_of_time is not None:
        outcome.failed = {e.id: out_of_time for e in events}
    elif events:
        run_bisecting(spec, events, outcome)
    outcome.failed.update(bad)
    return outcome


def record(*, handler: str, outcome: Outcome, first_attempt: bool = False) -> None:
    """Clear the retry state of pairs that succeeded; count an attempt for each failure.

    A first attempt has no retry state to clear. (If the same message runs again
    after a failure was recorded, say its worker died before the ack, the pair
    stays scheduled for a retry, which finds it applied and clears the row.)
    """
    if outcome.applied and not first_attempt:
        # Pairs get a row only when they failed before.
        EventDelivery.objects.filter(handler=handler, event_id__in=outcome.applied).delete()
    for event_id, error in outcome.failed.items():
        record_failure(handler=handler, event_id=event_id, error=error)


def record_failure(*, handler: str, event_id: int, error: str) -> EventDelivery:
    with transaction.atomic():
        row, _ = EventDelivery.objects.select_for_update().get_or_create(
            event_id=event_id, handler=handler
        )
        row.attempts += 1
        row.last_error = error
        if row.attempts >= settings.EVENTS_MAX_ATTEMPTS:
            row.state = EventDelivery.State.DEAD
            row.next_attempt_at = None
            logger.error(
                "dead letter: %s on event %s after %s attempts", handler, event_id, row.attempts
            )
        else:
            row.state = EventDelivery.State.RETRYING
            row.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(row.attempts))
            logger.warning("%s failed on event %s (attempt %s)", handler, event_id, row.attempts)
        row.save(update_fields=["attempts", "last_error", "state", "next_attempt_at", "updated_at"])
    return row
