"""Handlers of the test-only events (`test.*`)."""

import os
import time

from django.core.cache import cache

from core.events import Event, handler
from tests.eventapp.models import EffectRow, Fault


def _effects(events: list[Event], name: str) -> None:
    EffectRow.objects.bulk_create(
        [EffectRow(event_id=e.id, handler=name, worker_pid=os.getpid()) for e in events]
    )


@handler("test.effect", "test.flaky")
def record(events: list[Event]) -> None:
    """The plain transactional handler.

    Payload `sleep` slows it, `poison` breaks it, `announce` tells the test (in
    Redis, outside the transaction) that the worker started on that event.
    """
    for event in events:
        if event.payload.get("poison"):
            raise ValueError(f"poison event {event.id}")
        if event.payload.get("announce"):
            cache.set(f"test:started:{event.id}", os.getpid(), timeout=300)
        time.sleep(event.payload.get("sleep", 0))
    _effects(events, "record")


@handler("test.flaky", queue="fanout")
def flaky(events: list[Event]) -> None:
    """Fails while Fault("flaky") exists; a replay after deleting it succeeds."""
    if Fault.objects.filter(name="flaky").exists():
        raise RuntimeError("flaky is broken")
    _effects(events, "flaky")


@handler("test.indexed", transactional=False, queue="fanout")
def index_in_redis(events: list[Event]) -> None:
    """A Redis effect, idempotent by construction: ZADD of the same member is a no-op."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.zadd(cache.make_key("test:indexed"), {str(e.id): e.id for e in events})
