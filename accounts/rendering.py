"""How a user is shown inside other payloads: post authors, retweeters,
notification actors and targets, and every list of users.

The one place a user summary is built. Plain dicts: a serializer instance per
user cost ~1 ms (a feed page shows 20+ users). `accounts.api.serializers.
UserSummarySerializer` declares the shape for the OpenAPI schema and renders
through `user_summary`, so nested uses (relationship lists, notification
actors) and the post renderer (tweets.rendering) cannot disagree.

A list of users is a list of rows `{"user": <summary>, ...}` (`user_row`):
the row carries what belongs to the relation (when it started, mutual follows),
the summary what belongs to the user.
"""

from datetime import datetime

from core.datetimes import iso_datetime

USER_SUMMARY_FIELDS = ("id", "username", "display_name", "avatar", "is_private")


def avatar_url(avatar, *, request=None) -> str | None:
    """The avatar's URL (absolute when the request is known), or None without one:
    what DRF's ImageField renders."""
    if not avatar:
        return None
    try:
        url = avatar.url
    except AttributeError:
        return None
    return request.build_absolute_uri(url) if request is not None else url


def user_summary(user, *, request=None) -> dict:
    # Most users have no avatar: an empty name read from the row gives None without
    # the FieldFile that reading `user.avatar` makes (2 µs, for each user of a page).
    no_avatar = getattr(user, "__dict__", {}).get("avatar", None) == ""
    return {
        "id": str(user.pk),
        "username": user.username,
        "display_name": user.display_name,
        "avatar": None if no_avatar else avatar_url(user.avatar, request=request),
        "is_private": user.is_private,
    }


class UserSummaries:
    """Summaries of the users of one response, each built once (a user who
    authored several posts on a page, or is both author and retweeter)."""

    def __init__(self, *, request=None):
        self.request = request
        self._by_id: dict[int, dict] = {}

    def __call__(self, user) -> dict:
        summary = self._by_id.get(user.pk)
        if summary is None:
            summary = self._by_id[user.pk] = user_summary(user, request=self.request)
        return summary


def user_row(user, *, created_at: datetime | None = None, request=None, **extra) -> dict:
    """One row of a list of users: `{"user", "created_at"}` for relations (when it
    started), `{"user", ...extra}` for other lists (suggestions)."""
    row = {"user": user_summary(user, request=request)}
    if created_at is not None:
        row["created_at"] = iso_datetime(created_at)
    row.update(extra)
    return row
