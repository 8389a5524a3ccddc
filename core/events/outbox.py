"""Writing events: `publish` adds an outbox row to the caller's transaction."""

import json

from django.db import connection

from core.events.registry import validate_name
from core.ids import new_id
from core.models import OutboxEvent

MAX_PAYLOAD_BYTES = 8192  # ids and a few scalars; handlers load the rest themselves


def publish(name: str, payload: dict) -> int:
    """Record event `name` in the current transaction and return its id.

    The row commits or rolls back with the caller's change; after commit it is
    sent to the handlers (core.events.dispatch), and the sweeper re-sends it if
    that did not happen (process died, broker down).
    """
    validate_name(name)
    if not isinstance(payload, dict):
        raise TypeError("an event payload is a dict of JSON values")
    if len(json.dumps(payload, separators=(",", ":"))) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event payloads carry ids, not objects (over {MAX_PAYLOAD_BYTES} bytes)")
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic()")
    event = OutboxEvent.objects.create(id=new_id(), name=name, payload=payload)
    from core.events.dispatch import dispatch_after_commit

    dispatch_after_commit(event.id)
    return event.id
