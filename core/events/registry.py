"""The explicit registry of event handlers: event class → handler functions."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.events.types import DomainEvent

QUEUES = ("default", "fanout", "media")

# A handler takes `list[Delivered[SomeEvent]]` (or a union of the classes it handles).
HandlerFunc = Callable[[list[Any]], None]
F = TypeVar("F", bound=HandlerFunc)


@dataclass
class HandlerSpec:
    key: str  # "<module>.<function>", stable across deploys: the unit of delivery
    func: HandlerFunc
    events: tuple[type[DomainEvent], ...]
    # True: effects are in the database; the processed markers are written in the
    # same transaction so a redelivered event is a no-op. False: the handler is
    # idempotent by construction (Redis ZADD of the same member, ...).
    transactional: bool = True
    queue: str = "default"
    # True: every event gets its own transaction (with its marker), so an effect
    # outside the database (an email) that succeeded is never rolled back, and so
    # never repeated, because another event of the batch failed.
    per_event: bool = False

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(cls.name for cls in self.events)


@dataclass
class Registry:
    by_event: dict[str, list[HandlerSpec]] = field(default_factory=dict)
    by_key: dict[str, HandlerSpec] = field(default_factory=dict)

    def add(self, spec: HandlerSpec) -> None:
        if spec.key in self.by_key:
            raise ValueError(f"handler {spec.key} registered twice")
        self.by_key[spec.key] = spec
        for name in spec.event_names:
            self.by_event.setdefault(name, []).append(spec)

    def remove(self, key: str) -> None:
        spec = self.by_key.pop(key)
        for name in spec.event_names:
            self.by_event[name].remove(spec)
            if not self.by_event[name]:
                del self.by_event[name]

    def handlers_for(self, name: str) -> list[HandlerSpec]:
        return self.by_event.get(name, [])


registry = Registry()


def handler(
    *events: type[DomainEvent],
    transactional: bool = True,
    queue: str = "default",
    per_event: bool = False,
) -> Callable[[F], F]:
    """Register `func(events: list[Delivered[...]]) -> None` for one or more event classes.

    The function receives a batch (events of any of its classes, in id order) and
    must not assume any order between events beyond that (docs/events.md).
    """
    if not events:
        raise ValueError("@handler needs at least one event class")
    for cls in events:
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise TypeError(f"@handler takes event classes (DomainEvent subclasses), not {cls!r}")
    if queue not in QUEUES:
        raise ValueError(f"queue must be one of {', '.join(QUEUES)}, not {queue!r}")
    if per_event and not transactional:
        raise ValueError("per_event handlers are transactional (one transaction per event)")

    def register(func: F) -> F:
        key = f"{func.__module__}.{func.__qualname__}"
        registry.add(
            HandlerSpec(
                key=key,
                func=func,
                events=events,
                transactional=transactional,
                queue=queue,
                per_event=per_event,
            )
        )
        return func

    return register
