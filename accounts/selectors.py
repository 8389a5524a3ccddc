"""Reads of accounts that are more than a get."""

from collections.abc import Iterable

from django.db.models.functions import Lower

from accounts.models import RevokedSession, User


def active_user_count() -> int:
    """Accounts that can sign in and be seen (the instance's statistics)."""
    return User.objects.filter(is_active=True, deactivated_at__isnull=True).count()


def session_is_revoked(*, session_id: str | None) -> bool:
    """Whether the session (a token's "sid" claim) signed out. None: a token issued
    before sessions existed, never revoked this way."""
    return session_id is not None and RevokedSession.objects.filter(sid=session_id).exists()


def active_user_ids(user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` whose accounts can be shown (active, not deactivated). One query."""
    return set(User.objects.visible().filter(pk__in=set(user_ids)).values_list("pk", flat=True))


def visible_users_by_name(names: Iterable[str]) -> dict[str, User]:
    """Visible users by lowercased username, for lowercased `names`. One query (none
    for no names)."""
    names = set(names)
    if not names:
        return {}
    found = User.objects.visible().annotate(name=Lower("username")).filter(name__in=names)
    # Usernames are ASCII (accounts.models.username_validator): lower() is SQL's LOWER.
    return {user.username.lower(): user for user in found}


def user_by_login(identifier: str) -> User | None:
    """The account a sign-in names: by email when it has an "@", else by username,
    either in any case. The one rule for signing in and for counting failures."""
    identifier = identifier.strip()
    field = "email__iexact" if "@" in identifier else "username__iexact"
    return User.objects.filter(**{field: identifier}).first()
