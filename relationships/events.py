"""Events the relationships app publishes (core.events.types; docs/events.md lists them)."""

from dataclasses import dataclass
from typing import ClassVar

from core import stamps
from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UserFollowed(DomainEvent):
    """A follow of a public account was created."""

    name: ClassVar[str] = "user.followed"
    follower_id: int
    followee_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.follower_id), stamps.user(self.followee_id))


@dataclass(frozen=True, kw_only=True)
class UserUnfollowed(DomainEvent):
    """A follow was removed: unfollow, follower removal, a block, an erasure."""

    name: ClassVar[str] = "user.unfollowed"
    follower_id: int
    followee_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.follower_id), stamps.user(self.followee_id))


@dataclass(frozen=True, kw_only=True)
class FollowRequested(DomainEvent):
    """Someone asked to follow a private account."""

    name: ClassVar[str] = "follow.requested"
    request_id: int
    requester_id: int
    target_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.requester_id), stamps.user(self.target_id))


@dataclass(frozen=True, kw_only=True)
class FollowApproved(DomainEvent):
    """A private account approved a request: the Follow row now exists."""

    name: ClassVar[str] = "follow.approved"
    request_id: int
    follower_id: int
    followee_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.follower_id), stamps.user(self.followee_id))


@dataclass(frozen=True, kw_only=True)
class UserBlocked(DomainEvent):
    name: ClassVar[str] = "user.blocked"
    blocker_id: int
    blocked_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.blocker_id), stamps.user(self.blocked_id))


@dataclass(frozen=True, kw_only=True)
class UserUnblocked(DomainEvent):
    name: ClassVar[str] = "user.unblocked"
    unhandled: ClassVar[str] = (
        "Unblocking restores nothing: the follows, requests and notifications the block "
        "removed stay removed, and every read checks the Block table, so the users see "
        "each other again from the next read on with nothing stored to update."
    )
    blocker_id: int
    blocked_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.blocker_id), stamps.user(self.blocked_id))


@dataclass(frozen=True, kw_only=True)
class UserMuted(DomainEvent):
    name: ClassVar[str] = "user.muted"
    unhandled: ClassVar[str] = (
        "Mutes are applied as the Mute row is read: the feed and its new-entries pushes "
        "filter muted authors, no notification is created from a muted actor and the list "
        "hides earlier ones. Nothing stored has to change; the muted author's entries stay "
        "in the timeline, so unmuting needs no rebuild."
    )
    muter_id: int
    muted_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.muter_id),)


@dataclass(frozen=True, kw_only=True)
class UserUnmuted(DomainEvent):
    name: ClassVar[str] = "user.unmuted"
    unhandled: ClassVar[str] = (
        "Muting removed nothing stored (see user.muted), so there is nothing to restore: "
        "the next read shows the author's entries and earlier notifications again "
        "(notifications not created during the mute are not backfilled)."
    )
    muter_id: int
    muted_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.muter_id),)


@dataclass(frozen=True, kw_only=True)
class RelationshipsErasureContinued(DomainEvent):
    """An erased account's follows were too many for one handler run: the rest
    continues in the next (relationships.erasure), carried by the outbox."""

    name: ClassVar[str] = "user.relationships_erasure_continued"
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)
