"""Writing events: `publish` adds an outbox row to the caller's transaction."""

import json

from django.db import connection

from core.events.dispatch import dispatch_after_commit
from core.events.types import SCALARS, DomainEvent, catalogue
from core.ids import new_id
from core.models import OutboxEvent

MAX_PAYLOAD_BYTES = 8192  # ids and a few scalars; handlers load the rest themselves


def publish(event: DomainEvent) -> int:
    """Record `event` in the current transaction and return its id.

    The row commits or rolls back with the caller's change; after commit it is
    sent to the handlers (core.events.dispatch), and the sweeper re-sends it if
    that did not happen (process died, broker down). Pass the constructor call
    itself, `publish(PostLiked(...))`: that is how `manage.py check` sees what is
    published (core.events.scan).
    """
    if not isinstance(event, DomainEvent):
        raise TypeError(f"publish() takes a DomainEvent instance, not {type(event).__name__}")
    if catalogue.by_name.get(event.name) is not type(event):
        raise ValueError(f"{type(event).__qualname__} is not in the event catalogue")
    payload = event.to_payload()
    for key, value in payload.items():
        if value is not None and not isinstance(value, SCALARS):
            raise TypeError(f"{event.name}.{key} is a {type(value).__name__}: ids and scalars only")
    if len(json.dumps(payload, separators=(",", ":"))) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event payloads carry ids, not objects (over {MAX_PAYLOAD_BYTES} bytes)")
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic()")
    row = OutboxEvent.objects.create(id=new_id(), name=event.name, payload=payload)
    dispatch_after_commit(row.id)
    return row.id
