"""Reads of accounts that are more than a get."""

from django.http import Http404

from accounts.models import User


def user_get_visible(*, user_id: int) -> User:
    """A user whose profile may be shown, or 404 (unknown, suspended, deactivated, erased)."""
    user = User.objects.visible().filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user.")
    return user


def user_get_by_username(*, username: str) -> User:
    user = User.objects.visible().filter(username__iexact=username).first()
    if user is None:
        raise Http404("No such user.")
    return user
