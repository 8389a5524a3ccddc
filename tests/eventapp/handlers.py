"""Handlers of the test-only events (`test.*`)."""

import os
import time

from django.core.cache import cache

from core.events import Delivered, handler
from tests.eventapp.events import Effect, Flaky, Indexed
from tests.eventapp.models import EffectRow, Fault


def _effects(events: list[Delivered], name: str) -> None:
    EffectRow.objects.bulk_create(
        [EffectRow(event_id=e.id, handler=name, worker_pid=os.getpid()) for e in events]
    )


@handler(Effect, Flaky)
def record(events: list[Delivered[Effect | Flaky]]) -> None:
    """The plain transactional handler (Effect's fields say how to misbehave)."""
    for delivered in events:
        event = delivered.event
        if not isinstance(event, Effect):
            continue
        if event.poison:
            raise ValueError(f"poison event {delivered.id}")
        if event.announce:
            cache.set(f"test:started:{delivered.id}", os.getpid(), timeout=300)
        time.sleep(event.sleep)
    _effects(events, "record")


@handler(Flaky, queue="fanout")
def flaky(events: list[Delivered[Flaky]]) -> None:
    """Fails while Fault("flaky") exists; a replay after deleting it succeeds."""
    if Fault.objects.filter(name="flaky").exists():
        raise RuntimeError("flaky is broken")
    _effects(events, "flaky")


@handler(Indexed, transactional=False, queue="fanout")
def index_in_redis(events: list[Delivered[Indexed]]) -> None:
    """A Redis effect, idempotent by construction: ZADD of the same member is a no-op."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.zadd(cache.make_key("test:indexed"), {str(e.id): e.id for e in events})
