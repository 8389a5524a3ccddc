"""The typed event catalogue: one frozen dataclass per event, and the envelope handlers get.

An app declares the events it publishes in its `events.py` (DESIGN.md §2)::

    @dataclass(frozen=True, kw_only=True)
    class PostLiked(DomainEvent):
        name: ClassVar[str] = "post.liked"
        like_id: int
        post_id: int

Defining the class adds it to `catalogue` (by its name). The instance is the
outbox row's JSON payload: ids and scalars only, since handlers load the rest
themselves and payloads stay small. A row keeps its JSON forever (retries,
dead letters), so decoding is lenient: keys the class no longer has are
dropped, and a field added later needs a default for the rows written before it.

`unhandled` on a class says why no handler exists; `manage.py check`
(core.checks) requires it exactly for the published events nobody handles.
"""

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
SCALARS = (int, str, bool, float)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    name: ClassVar[str]
    # Why nothing handles this event although it is published (written for people).
    unhandled: ClassVar[str] = ""

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not isinstance(name, str) or not EVENT_NAME.match(name):
            raise ValueError(
                f"{cls.__qualname__}.name must be a dotted lowercase event name like "
                f"'post.created', not {name!r}"
            )
        if register:  # register=False: a class for a test's own catalogue
            catalogue.add(cls)

    def to_payload(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def stale(self) -> tuple[str, ...]:
        """What this change makes stale for reads cached with stamps (core.stamps):
        publishing stamps these keys after the commit. Nothing by default."""
        return ()


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Delivered(Generic[E]):
    """An event as a handler receives it: the event plus its outbox row's id and time.

    `id` identifies the event across redeliveries; `created_at` is when the change
    committed, which a late delivery may need to say ("deactivated at ...").
    """

    id: int
    created_at: datetime
    event: E


class UnknownEvent(LookupError):
    """An outbox row whose name no event class claims (renamed or removed since)."""


class Catalogue:
    """Every event class, by name."""

    def __init__(self) -> None:
        self.by_name: dict[str, type[DomainEvent]] = {}

    def add(self, cls: type[DomainEvent]) -> None:
        known = self.by_name.get(cls.name)
        if known is not None and qualified(known) != qualified(cls):
            raise ValueError(
                f"event {cls.name!r} is defined twice: {qualified(known)}, {qualified(cls)}"
            )
        self.by_name[cls.name] = cls

    def remove(self, cls: type[DomainEvent]) -> None:
        if self.by_name.get(cls.name) is cls:
            del self.by_name[cls.name]

    def __iter__(self) -> typing.Iterator[type[DomainEvent]]:
        return iter(sorted(self.by_name.values(), key=lambda cls: cls.name))

    def decode(self, name: str, payload: dict[str, Any]) -> DomainEvent:
        """The event of an outbox row. Keys the class does not know are ignored (an old
        row); a missing field without a default raises TypeError (the pair then fails
        and stays visible as a retry, then a dead letter)."""
        cls = self.by_name.get(name)
        if cls is None:
            raise UnknownEvent(f"no event class is named {name!r} in this process")
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{key: value for key, value in payload.items() if key in known})


catalogue = Catalogue()


def qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def definition_problems(cls: type[DomainEvent]) -> list[str]:
    """What is wrong with an event class's definition (empty when it is fine)."""
    params = getattr(cls, "__dataclass_params__", None)
    if "__dataclass_fields__" not in cls.__dict__ or params is None or not params.frozen:
        return ["is not a @dataclass(frozen=True, kw_only=True)"]
    problems = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if not _is_scalar_type(hints[field.name]):
            problems.append(
                f"field {field.name!r} is {hints[field.name]!r}: payloads hold ids and "
                "scalars (int, str, bool, float, or one of them | None)"
            )
    return problems


def _is_scalar_type(annotation: Any) -> bool:
    if annotation in SCALARS:
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = typing.get_args(annotation)
        return all(m is type(None) or m in SCALARS for m in members)
    return False
