"""Writing events: `publish` adds an outbox row to the caller's transaction."""

import re

from django.db import connection

from core.ids import new_id
from core.models import OutboxEvent

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def publish(name: str, payload: dict) -> int:
    """Record event `name` in the current transaction; dispatch it after commit."""
    if not EVENT_NAME.match(name):
        raise ValueError(f"event names are dotted lowercase words, not {name!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic()")
    event = OutboxEvent.objects.create(id=new_id(), name=name, payload=payload)
    from core.events.dispatch import dispatch_after_commit

    dispatch_after_commit(event.id)
    return event.id
