"""Reads of media: your own items, and the items posts render."""

from typing import Any

from accounts.models import User
from core.errors import NotFound
from media.models import Media
from media.rendering import media_payload


def media_get_own(*, user: User, media_id: int) -> Media:
    """Your media item; anyone else's is a 404 (it shows through the posts it is in)."""
    media = Media.objects.filter(pk=media_id, owner_id=user.pk).first()
    if media is None:
        raise NotFound("No such media.")
    return media


def media_payloads(media_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The rendered media items by id (one query; none for no ids). What posts show."""
    if not media_ids:
        return {}
    return {m.id: media_payload(m) for m in Media.objects.filter(pk__in=set(media_ids))}
