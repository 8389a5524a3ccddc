"""What the idempotent creates (like, retweet, bookmark, follow, block, mute) return."""

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CreateResult(Generic[T]):
    """The object, new or already there, and whether this call created it: the API
    answers 201 then and 200 otherwise, so a retried request never undoes itself
    (DESIGN.md §6)."""

    value: T
    created: bool
