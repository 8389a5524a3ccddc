"""Reads of accounts that are more than a get."""

import re
from collections.abc import Iterable

from django.db.models.functions import Lower

from accounts.models import USERNAME_PATTERN, User
from core.errors import NotFound


def user_get_visible(*, user_id: int) -> User:
    """A user whose profile may be shown, or 404 (unknown, suspended, deactivated, erased)."""
    user = User.objects.visible().filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def user_get_by_username(*, username: str) -> User:
    # A name that cannot exist is a 404 without a query; it also keeps a NUL byte
    # from the URL away from PostgreSQL, which refuses it with a 500.
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise NotFound()
    user = User.objects.visible().filter(username__iexact=username).first()
    if user is None:
        raise NotFound()
    return user


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
    return {user.name: user for user in found}
