"""Who is looking: the type of every `viewer` that selectors and visibility rules take.

A viewer is whoever a read is for: a signed-in `User`, Django's `AnonymousUser`
(`request.user` without a token), or a `SignedInViewer`, a signed-in user known
only by id (the feed's compiled queries, visibility checks over a batch of
events), so that no user row is loaded just to ask what it may see. The rules
read two things of a viewer, and `Viewer` is exactly those two.
"""

from dataclasses import dataclass
from typing import Literal, Protocol


class Viewer(Protocol):
    @property
    def pk(self) -> int | None: ...  # None for an anonymous viewer

    @property
    def is_authenticated(self) -> bool: ...


@dataclass(frozen=True)
class SignedInViewer:
    """A signed-in user as a viewer, by id alone."""

    pk: int

    @property
    def is_authenticated(self) -> Literal[True]:
        return True


def viewer_id(viewer: Viewer | None) -> int | None:
    """The signed-in viewer's user id; None for an anonymous viewer (or none at all)."""
    if viewer is None or not viewer.is_authenticated:
        return None
    return viewer.pk
