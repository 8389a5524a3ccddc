"""Writing events: `publish` adds an outbox row to the caller's transaction."""

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from core import stamps
from core.events.dispatch import dispatch_after_commit
from core.events.types import SCALARS, DomainEvent, catalogue
from core.ids import new_id
from core.models import OutboxEvent
from core.sql import Statement, insert_sql, write_together

MAX_PAYLOAD_BYTES = 8192  # ids and a few scalars; handlers load the rest themselves


def _encoded(event: DomainEvent) -> tuple[dict[str, Any], str]:
    """The event's payload and its JSON, checked: a catalogue class, scalars, small."""
    if not isinstance(event, DomainEvent):
        raise TypeError(f"publish() takes a DomainEvent instance, not {type(event).__name__}")
    if catalogue.by_name.get(event.name) is not type(event):
        raise ValueError(f"{type(event).__qualname__} is not in the event catalogue")
    payload = event.to_payload()
    for key, value in payload.items():
        if value is not None and not isinstance(value, SCALARS):
            raise TypeError(f"{event.name}.{key} is a {type(value).__name__}: ids and scalars only")
    text = json.dumps(payload, separators=(",", ":"))
    if len(text) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event payloads carry ids, not objects (over {MAX_PAYLOAD_BYTES} bytes)")
    return payload, text


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic()")


def publish(event: DomainEvent) -> int:
    """Record `event` in the current transaction and return its id.

    The row commits or rolls back with the caller's change; after commit it is
    sent to the handlers (core.events.dispatch), and the sweeper re-sends it if
    that did not happen (process died, broker down). Pass the constructor call
    itself, `publish(PostLiked(...))`: that is how `manage.py check` sees what is
    published (core.events.scan).
    """
    _require_transaction()
    payload, _ = _encoded(event)
    row = OutboxEvent.objects.create(id=new_id(), name=event.name, payload=payload)
    dispatch_after_commit(row.id)
    stamps.stale(event.stale())
    return row.id


def publish_with(event: DomainEvent, *writes: Statement) -> int:
    """Run `writes` (core.sql.insert_sql, update_sql) and write the outbox row of
    `event` as one statement (core.sql.write_together): one round trip, and the
    change and its event commit together even outside a transaction. Then, as
    `publish`, send the event after commit and return its id. Pass the constructor
    call itself, as to `publish`."""
    payload, _ = _encoded(event)
    row = OutboxEvent(id=new_id(), name=event.name, payload=payload)
    write_together(*writes, insert_sql(row))
    dispatch_after_commit(row.id)
    stamps.stale(event.stale())
    return row.id


def publish_many(events: Iterable[DomainEvent]) -> list[int]:
    """`publish` for a batch written by one change (an erasure's chunk): one INSERT
    for all rows. Pass a comprehension of constructor calls,
    `publish_many(PostUnliked(...) for like in likes)`, for the same scan."""
    _require_transaction()
    events = list(events)
    encoded = [_encoded(event) for event in events]
    ids = [new_id() for _ in events]
    if connection.vendor == "postgresql":
        # Three arrays instead of 4,000 bound values: the ORM's per-value work was
        # most of an erasure chunk's time.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {OutboxEvent._meta.db_table} (id, name, payload, created_at) "
                "SELECT unnest(%s::bigint[]), unnest(%s::varchar[]), unnest(%s::text[])::jsonb, %s",
                [ids, [e.name for e in events], [text for _, text in encoded], timezone.now()],
            )
    else:
        OutboxEvent.objects.bulk_create(
            OutboxEvent(id=i, name=e.name, payload=payload)
            for i, e, (payload, _) in zip(ids, events, encoded, strict=True)
        )
    for event_id in ids:
        dispatch_after_commit(event_id)
    stamps.stale(key for event in events for key in event.stale())
    return ids
