"""Events the media app publishes (core.events.types; docs/events.md lists them)."""

from dataclasses import dataclass
from typing import ClassVar

from core import stamps
from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class MediaUpdated(DomainEvent):
    """A media item changed what posts show of it: processing ended (`state` ready or
    failed) or its alt text changed. `post_id`: the post it is attached to, if any
    (the posts app bumps that post's version, so the feed's cached payload is new)."""

    name: ClassVar[str] = "media.updated"
    media_id: int
    owner_id: int
    post_id: int | None
    state: str

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id),) if self.post_id else ()
