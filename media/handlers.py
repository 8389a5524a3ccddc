"""Event handlers of media: an erased account's files go with it."""

from accounts.events import UserErased
from core.events import Delivered, handler
from media import services


@handler(UserErased, transactional=False, queue="media")
def delete_media_of_erased_users(events: list[Delivered[UserErased]]) -> None:
    """Every upload of the account (attachments, avatars, banners) and its files.
    Idempotent: a re-run finds no rows left."""
    for delivered in events:
        services.media_delete_of_user(user_id=delivered.event.user_id)
