"""The test-only events (`test.*`), published by tests.eventapp.services."""

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class Effect(DomainEvent):
    """Handled by `record`. `sleep` slows it, `poison` breaks it, `announce` tells the
    test (in Redis, outside the transaction) that a worker started on it."""

    name: ClassVar[str] = "test.effect"
    n: int = 0
    sleep: float = 0
    poison: bool = False
    announce: bool = False


@dataclass(frozen=True, kw_only=True)
class Flaky(DomainEvent):
    """Handled by `record` and by `flaky`, which fails while Fault("flaky") exists."""

    name: ClassVar[str] = "test.flaky"


@dataclass(frozen=True, kw_only=True)
class Indexed(DomainEvent):
    """Handled by `index_in_redis` (idempotent by construction)."""

    name: ClassVar[str] = "test.indexed"
