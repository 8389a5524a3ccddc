"""The explicit registry of event handlers: event name → handler functions."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
QUEUES = ("default", "fanout", "media")


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    payload: dict
    created_at: datetime


HandlerFunc = Callable[[list[Event]], None]


@dataclass
class HandlerSpec:
    key: str  # "<module>.<function>", stable across deploys: the unit of delivery
    func: HandlerFunc
    events: tuple[str, ...]
    # True: effects are in the database; the processed markers are written in the
    # same transaction so a redelivered event is a no-op. False: the handler is
    # idempotent by construction (Redis ZADD of the same member, ...).
    transactional: bool = True
    queue: str = "default"


@dataclass
class Registry:
    by_event: dict[str, list[HandlerSpec]] = field(default_factory=dict)
    by_key: dict[str, HandlerSpec] = field(default_factory=dict)

    def add(self, spec: HandlerSpec) -> None:
        if spec.key in self.by_key:
            raise ValueError(f"handler {spec.key} registered twice")
        self.by_key[spec.key] = spec
        for name in spec.events:
            self.by_event.setdefault(name, []).append(spec)

    def handlers_for(self, name: str) -> list[HandlerSpec]:
        return self.by_event.get(name, [])


registry = Registry()


def validate_name(name: str) -> None:
    if not isinstance(name, str) or not EVENT_NAME.match(name):
        raise ValueError(
            f"event names are dotted lowercase words like 'post.created', not {name!r}"
        )


def handler(*events: str, transactional: bool = True, queue: str = "default"):
    """Register `func(events: list[Event]) -> None` for one or more event names.

    The function receives a batch (events of any of its names, in id order) and
    must not assume any order between events beyond that (docs/events.md).
    """
    if not events:
        raise ValueError("@handler needs at least one event name")
    for name in events:
        validate_name(name)
    if queue not in QUEUES:
        raise ValueError(f"queue must be one of {', '.join(QUEUES)}, not {queue!r}")

    def register(func: HandlerFunc) -> HandlerFunc:
        key = f"{func.__module__}.{func.__qualname__}"
        registry.add(
            HandlerSpec(key=key, func=func, events=events, transactional=transactional, queue=queue)
        )
        return func

    return register
