"""Events the accounts app publishes (core.events.types; docs/events.md lists them)."""

from dataclasses import dataclass
from typing import ClassVar

from core import stamps
from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UserDeactivated(DomainEvent):
    """The account hid itself (`POST /users/me/deactivate`); signing in undoes it."""

    name: ClassVar[str] = "user.deactivated"
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.user_id),)


@dataclass(frozen=True, kw_only=True)
class UserReactivated(DomainEvent):
    """A deactivated account signed in again."""

    name: ClassVar[str] = "user.reactivated"
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)  # back in reads that filtered it out


@dataclass(frozen=True, kw_only=True)
class UserPasswordChanged(DomainEvent):
    """The password was changed by its owner, or set with an emailed reset link (`reset`)."""

    name: ClassVar[str] = "user.password_changed"
    user_id: int
    reset: bool = False


@dataclass(frozen=True, kw_only=True)
class UserErased(DomainEvent):
    """The account was deleted: personal data erased, the row kept for references."""

    name: ClassVar[str] = "user.erased"
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)


@dataclass(frozen=True, kw_only=True)
class UserSuspended(DomainEvent):
    """A moderator suspended the account (the admin's Suspend action)."""

    name: ClassVar[str] = "user.suspended"
    unhandled: ClassVar[str] = (
        "Every read requires an active account (posts, profiles, lists, notifications, "
        "the feed's re-check), so the account and its content disappear from the next "
        "read on; its tokens and sockets are revoked in the same transaction."
    )
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.user(self.user_id),)


@dataclass(frozen=True, kw_only=True)
class UserUnsuspended(DomainEvent):
    """A moderator lifted the suspension."""

    name: ClassVar[str] = "user.unsuspended"
    unhandled: ClassVar[str] = (
        "Reads check the account's state, so its content is back from the next read on; "
        "nothing stored was removed by the suspension."
    )
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)  # back in reads that filtered them out
